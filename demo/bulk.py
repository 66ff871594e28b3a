"""Rows written in bulk for the demo: COPY on PostgreSQL, executemany elsewhere, with ids
given up front so rows can refer to each other."""

import json
import math

import sqlalchemy as sa

from core.extensions import db
from core.models import User
from crm.customers.models import Child, Customer, SegmentSnapshot
from crm.followups.models import FollowUp
from fulfillment.models import Fulfillment, FulfillmentLine
from storefront.loyalty.models import Membership
from storefront.models import Order, OrderLine


class Batch:
    """Rows per table, written in bulk: COPY on PostgreSQL, executemany elsewhere."""

    TABLES = {"users": User, "customers": Customer, "memberships": Membership, "orders": Order,
              "order_lines": OrderLine, "fulfillments": Fulfillment,
              "fulfillment_lines": FulfillmentLine, "followups": FollowUp,
              "customer_children": Child, "segment_snapshots": SegmentSnapshot}
    ORDER = ("users", "customers", "customer_children", "memberships", "orders", "order_lines",
             "fulfillments", "fulfillment_lines", "followups", "segment_snapshots")

    def __init__(self):
        self.rows: dict[str, list[dict]] = {name: [] for name in self.ORDER}

    def add(self, table: str, **row) -> dict:
        self.rows[table].append(row)
        return row

    def write(self) -> None:
        connection = db.session.connection()
        for name in self.ORDER:
            table, rows = self.TABLES[name].__table__, self.rows[name]
            if not rows:
                continue
            if connection.dialect.name == "postgresql":
                _copy(connection, table, rows)
                continue
            if name == "fulfillments":
                # A pickup has no address: leave the key out so the column stays SQL NULL
                # (a None would be stored as JSON null).
                pickups = [{k: v for k, v in r.items() if k != "address"}
                           for r in rows if r["address"] is None]
                rows = [r for r in rows if r["address"] is not None]
                if pickups:
                    connection.execute(table.insert(), pickups)
            if rows:
                connection.execute(table.insert(), rows)


def _copy(connection, table: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY, on the session's own connection (so inside its transaction).

    Ten times faster than executemany; values go as psycopg adapts them, JSON as text.
    """
    columns = list(rows[0])
    for column in columns:
        assert column in table.c, column  # names come from this module, never from input
    json_columns = {c for c in columns if isinstance(table.c[c].type, sa.JSON)}
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([
                json.dumps(row[c], ensure_ascii=False) if c in json_columns
                and row[c] is not None else row[c] for c in columns])


def next_id(table: str) -> int:
    return (db.session.execute(sa.text(f"SELECT MAX(id) FROM {table}")).scalar() or 0) + 1


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into whole numbers proportional to ``weights`` (largest remainders)."""
    weight_sum = sum(weights)
    if not total or not weight_sum:
        return [0] * len(weights)
    quotas = [total * w / weight_sum for w in weights]
    counts = [math.floor(q) for q in quotas]
    left = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: quotas[i] - counts[i], reverse=True)
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts
