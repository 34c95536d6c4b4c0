"""Demo data for Cà Mau: agencies, categories, staff accounts, the SLA defaults, the process."""
from __future__ import annotations

from ...extensions import db
from ...models import Agency, Category, District, User
from .processes import deploy_bundled
from .sla_settings import ensure_default_policies

AGENCIES = [
    ("police", "Công an tỉnh Cà Mau", "Cà Mau Provincial Police", "department"),
    ("health", "Sở Y tế", "Department of Health", "department"),
    ("tnmt", "Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment", "department"),
    ("transport", "Sở Giao thông vận tải", "Department of Transport", "department"),
    ("agriculture", "Sở Nông nghiệp và Phát triển nông thôn", "Department of Agriculture and Rural Development", "department"),
    ("construction", "Sở Xây dựng", "Department of Construction", "department"),
    ("ubnd_camau", "UBND thành phố Cà Mau", "Cà Mau City People's Committee", "district"),
    ("ubnd_namcan", "UBND huyện Năm Căn", "Năm Căn District People's Committee", "district"),
    ("ubnd_ngochien", "UBND huyện Ngọc Hiển", "Ngọc Hiển District People's Committee", "district"),
    ("ubnd_tranvanthoi", "UBND huyện Trần Văn Thời", "Trần Văn Thời District People's Committee", "district"),
]

CATEGORIES = [
    ("epidemic", "Dịch bệnh", "Epidemics"),
    ("weather", "Thời tiết", "Weather"),
    ("disaster", "Thiên tai", "Natural disasters"),
    ("security", "An ninh – trật tự", "Security and public order"),
    ("health", "Y tế – sức khỏe", "Health"),
    ("suggestion", "Ý kiến đóng góp cho chính quyền", "Suggestions to local government"),
    ("environment", "Môi trường – vệ sinh", "Environment and sanitation"),
    ("other", "Khác", "Other"),
]

DISTRICTS = [
    ("camau", "Thành phố Cà Mau", "Cà Mau City"),
    ("uminh", "Huyện U Minh", "U Minh District"),
    ("thoibinh", "Huyện Thới Bình", "Thới Bình District"),
    ("tranvanthoi", "Huyện Trần Văn Thời", "Trần Văn Thời District"),
    ("cainuoc", "Huyện Cái Nước", "Cái Nước District"),
    ("damdoi", "Huyện Đầm Dơi", "Đầm Dơi District"),
    ("namcan", "Huyện Năm Căn", "Năm Căn District"),
    ("phutan", "Huyện Phú Tân", "Phú Tân District"),
    ("ngochien", "Huyện Ngọc Hiển", "Ngọc Hiển District"),
]

PORTAL_USERS = [("operator", "operator", "Cán bộ tiếp nhận Cổng TTĐT"),
                ("supervisor", "supervisor", "Lãnh đạo Cổng TTĐT"),
                ("monitor", "monitor", "Lãnh đạo UBND tỉnh"),
                ("designer", "designer", "Thiết kế quy trình"),
                ("admin", "admin", "Quản trị hệ thống")]


def _ensure_user(username: str, role: str, full_name: str, password: str,
                 agency: Agency | None = None) -> tuple[User, bool]:
    user = db.session.scalars(db.select(User).where(User.username == username)).first()
    if user is not None:
        return user, False
    user = User(username=username, role=role, full_name=full_name,
                agency_id=agency.id if agency else None,
                email=f"{username}@camau.example", active=True, failed_logins=0)
    user.set_password(password)
    db.session.add(user)
    return user, True


def seed_reference_data() -> None:
    """Agencies, categories, districts and SLA defaults; existing rows are left as admins edited
    them."""
    for code, name, name_en, kind in AGENCIES:
        if not db.session.scalars(db.select(Agency).where(Agency.code == code)).first():
            db.session.add(Agency(code=code, name=name, name_en=name_en, kind=kind, active=True))
    for sort, (code, name, name_en) in enumerate(CATEGORIES):
        if not db.session.scalars(db.select(Category).where(Category.code == code)).first():
            db.session.add(Category(code=code, name=name, name_en=name_en, sort=sort, active=True))
    for sort, (code, name, name_en) in enumerate(DISTRICTS):
        if not db.session.scalars(db.select(District).where(District.code == code)).first():
            db.session.add(District(code=code, name=name, name_en=name_en, sort=sort, active=True))
    db.session.commit()
    ensure_default_policies()


def seed_demo(password: str) -> list[tuple[str, str, str]]:
    """Idempotent demo province; returns (username, role, agency) for every demo login."""
    seed_reference_data()
    deploy_bundled()
    logins = []
    for username, role, full_name in PORTAL_USERS:
        _ensure_user(username, role, full_name, password)
        logins.append((username, role, ""))
    for agency in db.session.scalars(db.select(Agency).order_by(Agency.id)):
        _ensure_user(f"officer.{agency.code}", "officer", f"Cán bộ {agency.name}", password, agency)
        _ensure_user(f"leader.{agency.code}", "leader", f"Lãnh đạo {agency.name}", password, agency)
        logins += [(f"officer.{agency.code}", "officer", agency.code),
                   (f"leader.{agency.code}", "leader", agency.code)]
    db.session.commit()
    return logins
