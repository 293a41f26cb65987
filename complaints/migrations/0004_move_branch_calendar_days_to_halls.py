"""Branch calendar days move to halls (`halls.BranchCalendarDay`), where rosters read them too:
copy every row across, then drop the complaints table. The reverse copies them back."""

from django.db import migrations


COLUMNS = ("branch_id", "date", "is_working_day", "note", "created_by_id", "created_at")


def _copy(apps, schema_editor, source, target) -> None:
    # One INSERT … SELECT: set-based, and it keeps created_at (auto_now_add would overwrite it).
    quote = schema_editor.quote_name
    source_table = apps.get_model(*source)._meta.db_table
    target_table = apps.get_model(*target)._meta.db_table
    columns = ", ".join(quote(c) for c in COLUMNS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(target_table)} ({columns}) SELECT {columns} FROM {quote(source_table)}"
        )


def copy_to_halls(apps, schema_editor):
    _copy(apps, schema_editor, ("complaints", "BranchCalendarOverride"), ("halls", "BranchCalendarDay"))


def copy_back(apps, schema_editor):
    _copy(apps, schema_editor, ("halls", "BranchCalendarDay"), ("complaints", "BranchCalendarOverride"))
    apps.get_model("halls", "BranchCalendarDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_move_notifications_to_halls"),
        ("halls", "0005_business_calendar"),
    ]

    operations = [
        migrations.RunPython(copy_to_halls, copy_back),
        migrations.DeleteModel(name="BranchCalendarOverride"),
    ]
