"""What every job of the sync engine works with, held once (the engine builds one of each job)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tui_crm.store import Store
from tui_crm.sync.events import SyncEvent
from tui_crm.sync.jobs import Jobs
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.profile import Profile
from tui_crm.sync.writer import StoreWriter


class EnginePart:
    """The client, store, profile, store writer, jobs, clock and event sink of one engine."""

    def __init__(self, client: ODataClient, store: Store, profile: Profile, writer: StoreWriter, jobs: Jobs,
                 clock: Callable[[], datetime], emit: Callable[[SyncEvent], None]) -> None:
        self.client = client
        self.store = store
        self.profile = profile
        self.writer = writer
        self.jobs = jobs
        self.clock = clock
        self.emit = emit
