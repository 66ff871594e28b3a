"""Customers: profiles and the 360, their figures (RFM), segments, needs tags, the import,
and erasing a person who leaves."""
