"""The ``addresses`` table: where a shopper has things delivered, as they saved it."""

import sqlalchemy as sa
from sqlalchemy import event

from core.clock import utcnow
from core.extensions import db
from core.models import UTCDateTime
from fulfillment import divisions

#: the partial index's condition: one default address per user
DEFAULT = sa.text("is_default")


class Address(db.Model):
    """A saved delivery address. An order copies the address it goes to, so changing or
    deleting a saved one never changes an order."""

    __tablename__ = "addresses"
    __table_args__ = (
        # at most one default per user (SQLite and PostgreSQL both have partial indexes)
        sa.Index("uq_addresses_default_user_id", "user_id", unique=True,
                 sqlite_where=DEFAULT, postgresql_where=DEFAULT),
        sa.CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="position_whole"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    name = sa.Column(sa.String(100), nullable=False)
    phone = sa.Column(sa.String(32), nullable=False)
    province = sa.Column(sa.String(40), nullable=False)
    city = sa.Column(sa.String(40), nullable=False)
    district = sa.Column(sa.String(40), nullable=False)
    street = sa.Column(sa.String(200), nullable=False)
    #: where the address is (a map pick in an app); None when not known
    lat = sa.Column(sa.Float)
    lng = sa.Column(sa.Float)
    is_default = sa.Column(sa.Boolean, nullable=False, default=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: the national divisions' codes of the province, city and district (None: a place
    #: they do not name), written with the names (``fulfillment.divisions``)
    province_code = sa.Column(sa.String(6))
    city_code = sa.Column(sa.String(6))
    district_code = sa.Column(sa.String(6))

    def as_delivery(self) -> dict:
        """The address as an order's fulfillment takes it (the position only when known)."""
        address = {"name": self.name, "phone": self.phone, "province": self.province,
                   "city": self.city, "district": self.district, "street": self.street}
        if self.lat is not None and self.lng is not None:
            address["lat"], address["lng"] = self.lat, self.lng
        return address


@event.listens_for(Address, "before_insert")
@event.listens_for(Address, "before_update")
def _named_by_the_divisions(_mapper, _connection, address: Address) -> None:
    """The place as the divisions name it ("上海 / 徐汇" is 上海市 / 徐汇区), codes beside."""
    place = divisions.resolve(address.province, address.city, address.district)
    if place is None:
        address.province_code = address.city_code = address.district_code = None
        return
    for key, value in {**place.names(), **place.codes()}.items():
        setattr(address, key, value)
