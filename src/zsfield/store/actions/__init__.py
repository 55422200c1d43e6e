"""The officer's actions (every write of the app), each one transaction through a :class:`Writer`, by subject:
:mod:`.companies`, :mod:`.leads` (capture, screen, convert), :mod:`.projects` (edit, stages, status),
:mod:`.timeline` (visits, follow-ups, notes), :mod:`.service` (service plan, milestones, capital receipts),
:mod:`.supervision` (请说明原因, 督办意见) and :mod:`.targets` (任务分解表). The TUI, the CLI, the seed and the
tests call these and nothing lower; callers import the submodule they need.

Every action validates with the flow rules first and raises :class:`DomainError` (bilingual, naming what is
missing) without writing anything.
"""
