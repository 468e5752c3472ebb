"""The dossier of a draft: named items (tờ trình, draft, reports ...), each with versions.

Files are stored once under the upload directory by their SHA-256 and checked before they
are kept: size limit, an allowed extension, and content that really is a PDF, DOCX or ODT
(magic bytes and the package layout), so a renamed executable is refused. A step whose
``requiredDocuments`` names an item cannot be submitted until that item has a version.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import InvalidData, Message, clock
from engine.models import Base
from workflows.drafts import Draft

MAX_FILE_BYTES = 20 * 1024 * 1024
#: What a DOCX or ODT may unpack to: python-docx unpacks the draft's text for public
#: consultation, so a zip bomb (a few hundred KB holding gigabytes) is refused on upload.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024

DOSSIER_ITEMS: dict[str, tuple[str, str]] = {
    "to_trinh": ("Tờ trình", "Submission"),
    "du_thao": ("Dự thảo văn bản", "Draft text"),
    "bao_cao_tong_ket": ("Báo cáo tổng kết thi hành pháp luật", "Law review report"),
    "bao_cao_danh_gia_tac_dong": ("Báo cáo đánh giá tác động chính sách", "Policy impact report"),
    "tong_hop_y_kien": ("Bản tổng hợp, giải trình, tiếp thu ý kiến", "Comment synthesis"),
    "phan_bien_mttq": ("Ý kiến phản biện xã hội của MTTQ", "Fatherland Front criticism"),
    "de_nghi_tham_dinh": ("Văn bản đề nghị thẩm định", "Appraisal request"),
    "bao_cao_tham_dinh": ("Báo cáo thẩm định", "Appraisal report"),
    "bao_cao_tiep_thu_tham_dinh": (
        "Báo cáo tiếp thu, giải trình ý kiến thẩm định",
        "Report on taking in the appraisal",
    ),
    "bao_cao_tham_tra": ("Báo cáo thẩm tra", "Examination report"),
    "bao_cao_tiep_thu_tham_tra": (
        "Báo cáo tiếp thu, giải trình ý kiến thẩm tra",
        "Report on taking in the examination",
    ),
    "van_ban_ky": ("Văn bản đã ký (Mẫu 17/18)", "Signed document (form 17/18)"),
    "de_nghi_rut_gon": ("Văn bản đề nghị áp dụng thủ tục rút gọn", "Simplified-procedure request"),
    "bao_cao_kiem_tra": ("Báo cáo kiểm tra văn bản", "Inspection report"),
    "danh_muc_ra_soat": ("Danh mục rà soát văn bản", "Review list"),
    "ke_hoach_trien_khai": ("Kế hoạch triển khai thi hành", "Implementation plan"),
}

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".odt": "application/vnd.oasis.opendocument.text",
}


class DocumentVersion(Base):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("draft_id", "item_code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(String(36))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


def upload_dir() -> Path:
    return Path(os.environ.get("LEXFLOW_UPLOAD_DIR", "instance/uploads")).resolve()


def _safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"/|?*')
    return cleaned[:200] or "document"


def _sniff(extension: str, data: bytes) -> bool:
    if extension == ".pdf":
        return data.startswith(b"%PDF-")
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                return False
            names = set(archive.namelist())
            if extension == ".docx":
                return "[Content_Types].xml" in names and "word/document.xml" in names
            if extension == ".odt" and "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return False
                return archive.read("mimetype").strip() == CONTENT_TYPES[".odt"].encode()
    except zipfile.BadZipFile:
        return False
    return False


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str


def check_file(filename: str, data: bytes) -> CheckedFile:
    """Refuse anything that is not a reasonably sized PDF, DOCX or ODT, saying why."""
    name = _safe_filename(filename)
    extension = Path(name).suffix.lower()
    if extension not in CONTENT_TYPES:
        raise InvalidData(
            Message("'%(name)s': only PDF, DOCX and ODT files are accepted", name=name)
        )
    if not data:
        raise InvalidData(Message("'%(name)s' is empty", name=name))
    if len(data) > MAX_FILE_BYTES:
        raise InvalidData(
            Message(
                "'%(name)s' is larger than %(mb)s MB", name=name, mb=MAX_FILE_BYTES // (1024 * 1024)
            )
        )
    if not _sniff(extension, data):
        raise InvalidData(
            Message(
                "'%(name)s' is not really a %(kind)s file", name=name, kind=extension[1:].upper()
            )
        )
    return CheckedFile(name, CONTENT_TYPES[extension], data, hashlib.sha256(data).hexdigest())


def _store(checked: CheckedFile) -> None:
    target = upload_dir() / checked.sha256[:2] / checked.sha256
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: two uploads of the same bytes at once must not share a partial file.
    partial = target.with_name(f"{target.name}.{secrets.token_hex(8)}.part")
    partial.write_bytes(checked.data)
    partial.replace(target)


def add_version(
    session: Session,
    draft_id: int,
    item_code: str,
    filename: str,
    data: bytes,
    actor: str,
    *,
    note: str | None = None,
    task_id: str | None = None,
) -> DocumentVersion:
    if item_code not in DOSSIER_ITEMS:
        raise InvalidData(Message("'%(item)s' is not a dossier item", item=item_code))
    checked = check_file(filename, data)
    # Uploads to one draft take turns (PostgreSQL row lock; SQLite writers are serial anyway),
    # so two at once get versions n+1 and n+2 instead of one unique-constraint 500.
    session.execute(select(Draft.id).where(Draft.id == draft_id).with_for_update())
    latest = session.execute(
        select(func.max(DocumentVersion.version)).where(
            DocumentVersion.draft_id == draft_id, DocumentVersion.item_code == item_code
        )
    ).scalar()
    _store(checked)
    row = DocumentVersion(
        draft_id=draft_id,
        item_code=item_code,
        version=(latest or 0) + 1,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        note=(note or "").strip()[:2000] or None,
        task_id=task_id,
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def read_file(version: DocumentVersion) -> bytes:
    return (upload_dir() / version.sha256[:2] / version.sha256).read_bytes()


def versions(session: Session, draft_id: int) -> list[DocumentVersion]:
    return list(
        session.execute(
            select(DocumentVersion)
            .where(DocumentVersion.draft_id == draft_id)
            .order_by(DocumentVersion.item_code, DocumentVersion.version.desc())
        ).scalars()
    )


def present_items(session: Session, draft_id: int) -> set[str]:
    return set(
        session.execute(
            select(DocumentVersion.item_code).where(DocumentVersion.draft_id == draft_id).distinct()
        ).scalars()
    )


def missing_items(session: Session, draft_id: int, required: list[str]) -> list[str]:
    present = present_items(session, draft_id)
    return [code for code in required if code not in present]


def item_name(code: str, language: str = "vi") -> str:
    names = DOSSIER_ITEMS.get(code)
    if names is None:
        return code
    return names[0] if language == "vi" else names[1]
