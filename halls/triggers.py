"""Database triggers shared by the apps.

`updated_at` drives incremental sync (`updated_since` and the (updated_at, id)
cursor), so it must move on every write, including QuerySet.update() and raw
SQL, which bypass Django's auto_now. A BEFORE UPDATE trigger sets it in the
database for every hall-owned model that syncs.
"""

import pgtrigger


def touch_updated_at(name: str = "touch_updated_at") -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Update,
        when=pgtrigger.Before,
        func="NEW.updated_at = clock_timestamp(); RETURN NEW;",
    )


# --- Statement-level foreign keys ------------------------------------------------------------------
#
# A PostgreSQL foreign key checks every inserted row on its own (one look-up and one row lock per
# row, queued to commit when deferred). For the volume tables — score facts, evaluations, daily
# KPIs, monthly results: 100,000+ rows per import or run — those per-row checks cost more than the
# write itself. These keys are instead enforced once per statement, with transition tables:
#
# - after an INSERT or UPDATE on the child, the distinct referenced rows are locked FOR KEY SHARE
#   (as a row check does: a concurrent delete of a parent waits for us) and one anti-join refuses
#   the statement when any reference has no parent;
# - after a DELETE on the parent, one semi-join refuses the statement when a child still points to
#   a deleted row (RESTRICT; Django's collector deletes or protects children first, as before).
#
# The error is SQLSTATE 23503 foreign_key_violation, raised at the end of the statement (not
# deferred to commit): Django raises IntegrityError as for a real key. Primary keys are never
# updated in this project, so an UPDATE of a parent's id is not guarded.


def _fk_name(child: str, column: str) -> str:
    import hashlib

    return "sfk_" + hashlib.md5(f"{child}.{column}".encode()).hexdigest()[:12]


def statement_foreign_key_sql(
    *, child: str, column: str, parent: str, parent_column: str = "id"
) -> tuple[str, str]:
    """(forward, backward) SQL installing a statement-level foreign key child.column -> parent.

    For a migration: `migrations.RunSQL(*statement_foreign_key_sql(...))`, next to the AlterField
    that sets db_constraint=False on the ForeignKey."""
    name = _fk_name(child, column)
    forward = f"""
CREATE FUNCTION {name}_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM 1 FROM {parent} p WHERE p.{parent_column} IN (SELECT n.{column} FROM new_rows n)
        FOR KEY SHARE OF p;
    SELECT n.{column} INTO missing FROM new_rows n
    WHERE n.{column} IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = n.{column})
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "{child}" violates foreign key "{name}"'
            USING ERRCODE = 'foreign_key_violation', TABLE = '{child}', CONSTRAINT = '{name}',
                  DETAIL = format('Key ({column})=(%s) is not present in table "{parent}".', missing);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION {name}_parent() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    SELECT o.{parent_column} INTO kept FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM {child} c WHERE c.{column} = o.{parent_column})
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "{parent}" violates foreign key "{name}" on table "{child}"'
            USING ERRCODE = 'foreign_key_violation', TABLE = '{parent}', CONSTRAINT = '{name}',
                  DETAIL = format('Key ({parent_column})=(%s) is still referenced from table "{child}".', kept);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name}_insert AFTER INSERT ON {child}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}_child();
CREATE TRIGGER {name}_update AFTER UPDATE ON {child}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}_child();
CREATE TRIGGER {name}_delete AFTER DELETE ON {parent}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}_parent();
"""
    backward = f"""
DROP TRIGGER IF EXISTS {name}_insert ON {child};
DROP TRIGGER IF EXISTS {name}_update ON {child};
DROP TRIGGER IF EXISTS {name}_delete ON {parent};
DROP FUNCTION IF EXISTS {name}_child();
DROP FUNCTION IF EXISTS {name}_parent();
"""
    return forward, backward
