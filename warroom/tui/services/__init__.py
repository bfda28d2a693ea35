"""The war room's background services. Each runs in workers and timers owned by its host
(the war room's screen) and reports by posting messages (tui/messages.py) to it; none calls
into a screen. Their imports (watchfiles, httpx, the ORM) happen after the first paint."""
