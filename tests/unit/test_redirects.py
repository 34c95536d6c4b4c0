import pytest

from caseapp.views.redirects import local_url


@pytest.mark.parametrize("target", [None, "", "https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "javascript:alert(1)"])
def test_foreign_targets_fall_back(target):
    assert local_url(target, "/home") == "/home"


def test_local_paths_are_kept():
    assert local_url("/work/?sort=-due_at", "/home") == "/work/?sort=-due_at"
