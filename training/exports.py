"""Excel export of a person's training archive. Every cell goes through halls.exports.safe_cell
(build_workbook does it), so no exported text runs as a formula."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from halls.exports import Sheet, workbook_bytes
from training.selectors import Archive


def archive_workbook(archive: Archive) -> bytes:
    """Five sheets: a summary, the sessions, the exams, the qualifications and the plans."""
    staff = archive.staff
    summary = Sheet(
        title=_("Summary"),
        headers=[_("Employee number"), _("Name"), _("Hall"), _("Post"), _("Hours"), _("Sessions attended")],
        rows=[
            [
                staff.employee_no,
                staff.name,
                staff.hall.name,
                staff.get_post_display(),
                float(archive.hours),
                archive.sessions_attended,
            ]
        ],
    )
    sessions = Sheet(
        title=pgettext("training", "Sessions"),
        headers=[_("Date"), _("Kind"), _("Topic"), _("Trainer"), _("Programme"), _("Attendance"), _("Hours")],
        rows=[
            [
                a.session.date,
                a.session.get_kind_display(),
                a.session.topic,
                a.session.trainer,
                a.session.program.name if a.session.program_id else "",
                a.get_status_display(),
                float(a.hours),
            ]
            for a in archive.attendance
        ],
    )
    exams = Sheet(
        title=_("Exams"),
        headers=[
            _("Date"),
            _("Exam"),
            _("Subject"),
            _("Score"),
            _("Maximum score"),
            _("Pass mark"),
            _("Passed"),
        ],
        rows=[
            [
                e.taken_on,
                e.get_kind_display(),
                e.session.topic if e.session_id else (e.program.name if e.program_id else ""),
                float(e.score),
                float(e.max_score),
                float(e.pass_mark),
                _("Yes") if e.passed else _("No"),
            ]
            for e in archive.exams
        ],
    )
    qualifications = Sheet(
        title=_("Qualifications"),
        headers=[_("Post"), _("Granted on"), _("Expires on"), _("Source")],
        rows=[
            [q.get_post_display(), q.granted_on, q.expires_on, q.get_source_display()]
            for q in archive.qualifications
        ],
    )
    plans = Sheet(
        title=_("Improvement plans"),
        headers=[_("Month"), _("Weak indicators"), _("Owner"), _("Goal"), _("Status"), _("Verdict")],
        rows=[
            [
                p.month.strftime("%Y-%m"),
                "; ".join(f"{w.indicator_name} {w.score}/{w.max_points}" for w in p.weak_points.all()),
                p.owner.name,
                p.goal,
                p.get_status_display(),
                p.get_verdict_display() if p.verdict else "",
            ]
            for p in archive.plans
        ],
    )
    return workbook_bytes([summary, sessions, exams, qualifications, plans])
