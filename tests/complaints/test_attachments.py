import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import attachment_services
from complaints.exceptions import AttachmentRejected
from complaints.models import ComplaintAttachment
from halls.models import AuditEvent
from tests.complaints.factories import tiny_png

PNG = tiny_png()
PDF = b"%PDF-1.7\n" + b"x" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_an_attachment_is_stored_under_a_server_made_name(received, cast, media):
    upload = SimpleUploadedFile("../../etc/收据 照片.PNG", PNG, content_type="text/html")
    attachment = attachment_services.attach_complaint_file(
        actor=cast.clerk, complaint=received, upload=upload
    )
    assert re.fullmatch(r"complaints/2026/11/[0-9a-f]{32}\.png", attachment.file.name)
    assert (media / attachment.file.name).read_bytes() == PNG
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "收据 照片.PNG",
        "image/png",
        len(PNG),
    )
    assert received.events.get(kind="attachment").data == {"attachment": attachment.pk, "size": len(PNG)}
    assert AuditEvent.objects.filter(action="complaints.complaint.attachment_added").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("letter.exe", PDF),
        ("letter.html", b"<html>"),
        ("photo.png", PDF),
        ("letter.pdf", PNG),
        ("empty.pdf", b""),
        ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)),
    ],
)
def test_files_of_the_wrong_type_size_or_content_are_refused(received, cast, media, name, content):
    with pytest.raises(AttachmentRejected):
        attachment_services.attach_complaint_file(
            actor=cast.clerk, complaint=received, upload=SimpleUploadedFile(name, content)
        )
    assert not ComplaintAttachment.objects.exists()
    assert not list(media.rglob("*.*"))


@pytest.mark.django_db
def test_only_people_who_handle_complaints_of_the_hall_attach_files(received, cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        attachment_services.attach_complaint_file(
            actor=cast.inspector, complaint=received, upload=SimpleUploadedFile("a.pdf", PDF)
        )
