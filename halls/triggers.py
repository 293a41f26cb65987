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
