"""Reports: the wellbeing follow-up read as dashboards, the annual report and research exports.

Read-only over the other domains, except for its own rollups (rebuilt from the event log at any time)
and the annual report's commentary.
"""
