import pytest

from caseapp.views.redirects import local_url


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)",
    "\\\\evil.example", "\\/evil.example", "/\t/evil.example", "\t//evil.example",
    "%09//evil.example", "/%09/evil.example", "/%0a/evil.example", "/\n/evil.example",
    "/\r\nSet-Cookie: x=1", "/%0d%0aSet-Cookie:%20x=1", " //evil.example", "/ /evil.example",
    "/%2f/evil.example", "/%2F%2Fevil.example", "/%5c%5cevil.example", "/\x00/evil.example",
    "/\u3000/evil.example", "https:/evil.example", "/work/\x7f",
])
def test_foreign_targets_fall_back(target):
    assert local_url(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/work/?sort=-due_at", "/cases/CM-AAAA-BBBB#history",
                                    "/work/?q=s%E1%BB%91t", "/cases/?q=a+b",
                                    "/cases/?q=a%20b%0A"])
def test_local_paths_are_kept(target):
    assert local_url(target, "/home") == target
