"""The customer center, one sub-package per domain: customers, followups, outreach, care,
club and reports; ``web`` holds what their pages share."""
