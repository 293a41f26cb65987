"""Attachments of complaints: photos, recordings and letters, checked and stored under
server-made names (complaints.models.attachment_path)."""

import os

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from complaints.exceptions import AttachmentRejected
from complaints.masking import may_view_unmasked
from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from complaints.services import add_event, lock_complaint
from halls.audit import record_audit
from halls.permissions import require_permission

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# extension -> (content type, magic-byte test)
ATTACHMENT_TYPES = {
    ".jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ".png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ".pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ".mp3": ("audio/mpeg", lambda head: head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3")),
    ".wav": ("audio/wav", lambda head: head.startswith(b"RIFF") and head[8:12] == b"WAVE"),
}


def check_attachment(upload) -> str:
    """The content type of an acceptable upload; refuses other types, empty files, files over
    10 MB and files whose first bytes do not match their extension."""
    ext = os.path.splitext(upload.name or "")[1].lower()
    if ext not in ATTACHMENT_TYPES:
        raise AttachmentRejected(_("Attach a JPEG, PNG, PDF, MP3 or WAV file."))
    if not upload.size:
        raise AttachmentRejected(_("The file is empty."))
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected(_("The file is larger than 10 MB."))
    content_type, matches = ATTACHMENT_TYPES[ext]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not matches(head) or (content_type.startswith("image/") and not _is_whole_image(upload)):
        raise AttachmentRejected(_("The file's content does not match its type."))
    return content_type


def _is_whole_image(upload) -> bool:
    """Pillow parses the whole file: a JPEG or PNG header in front of anything else is refused."""
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()
        return True
    except Exception:  # Pillow raises many kinds (SyntaxError, OSError, DecompressionBombError...)
        return False
    finally:
        upload.seek(0)


@transaction.atomic(durable=True)
def attach_complaint_file(*, actor, complaint: Complaint, upload) -> ComplaintAttachment:
    """Store an uploaded file under a server-made name (the client's name is kept as a label)."""
    complaint = lock_complaint(complaint, None)
    require_permission(actor, "complaint.handle", hall=complaint.hall)
    content_type = check_attachment(upload)
    attachment = ComplaintAttachment(
        complaint=complaint,
        original_name=(upload.name or "")[-200:],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    # The storage names the file (complaints/<year>/<month>/<uuid><ext>); the upload's name is a label.
    attachment.file.save(upload.name, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    add_event(
        complaint,
        ComplaintEvent.Kind.ATTACHMENT,
        actor=actor,
        message=attachment.original_name,
        data={"attachment": attachment.pk, "size": attachment.size},
    )
    record_audit(
        actor=actor,
        action="complaints.complaint.attachment_added",
        subject=complaint,
        data={"attachment": attachment.pk, "name": attachment.original_name},
    )
    return attachment


def may_open_attachments(user, complaint: Complaint) -> bool:
    """Attachments carry the customer's own words, voice and papers: they open for the people who
    may see the customer unmasked (complaints.masking.may_view_unmasked) and nobody else."""
    return may_view_unmasked(user, complaint)


@transaction.atomic
def open_complaint_attachment(*, actor, attachment: ComplaintAttachment):
    """The stored file of an attachment, opened for reading, for a person allowed to open it
    (may_open_attachments; PermissionDenied otherwise); an audit row records who opened which
    file. Raises FileNotFoundError (and records nothing) when the file is gone from storage.
    The caller resolves the attachment through a scoped complaint (another hall's is a 404)."""
    complaint = attachment.complaint
    if not may_open_attachments(actor, complaint):
        raise PermissionDenied("complaint.attachment.open")
    handle = attachment.file.open("rb")
    record_audit(
        actor=actor,
        action="complaints.complaint.attachment_opened",
        subject=complaint,
        hall=complaint.hall,
        data={"attachment": attachment.pk, "name": attachment.original_name},
    )
    return handle
