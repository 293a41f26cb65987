"""Who hears about a complaint, and when: pure rules read by the deadline job.

- a sensitive or major complaint goes to the hall manager as soon as the job sees it;
  a major one to the branch manager too, a sensitive one once it is due soon or overdue;
- a complaint due soon reminds its current handler (the hall manager when unassigned);
- an overdue complaint goes to the hall manager, and to the branch manager once it has been
  overdue for the policy's `branch_escalation_minutes`.

Each step is (kind, level); the job records it once per complaint and reopen cycle.
"""

from datetime import timedelta

from complaints.models import Escalation, Severity, SlaState

Step = tuple[str, int]


def escalation_steps(
    *, severity: str, state: str, overdue_for: timedelta, branch_after: timedelta
) -> list[Step]:
    steps: list[Step] = []
    if severity in (Severity.SENSITIVE, Severity.MAJOR):
        steps.append((Escalation.Kind.SENSITIVE, Escalation.Level.HALL_MANAGER))
        if severity == Severity.MAJOR or state != SlaState.ON_TRACK:
            steps.append((Escalation.Kind.SENSITIVE, Escalation.Level.BRANCH_MANAGER))
    if state == SlaState.DUE_SOON:
        steps.append((Escalation.Kind.DUE_SOON, Escalation.Level.HANDLER))
    if state == SlaState.OVERDUE:
        steps.append((Escalation.Kind.OVERDUE, Escalation.Level.HALL_MANAGER))
        if overdue_for >= branch_after:
            steps.append((Escalation.Kind.OVERDUE, Escalation.Level.BRANCH_MANAGER))
    return steps


def ancestor_paths(path: str) -> list[str]:
    """The region paths above and at a materialized path: "/BR01/CT01/" -> ["/BR01/", "/BR01/CT01/"]."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
