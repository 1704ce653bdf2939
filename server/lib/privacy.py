"""The one threshold for showing numbers about people: a group smaller than this is never shown.

Five is the usual floor for small-cell suppression in Danish health statistics; the staff unit page,
the dashboards, the annual report and the exports' documentation all use this constant.
"""

MIN_PEOPLE = 5
