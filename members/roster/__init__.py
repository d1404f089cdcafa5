"""Roster import: an employer's spreadsheet of people into families (issue 23 item 5)."""
