"""The national divisions' codes beside the names: on saved addresses (province, city,
district) and on the districts centers serve (what addresses are matched by), filled for
the rows there are from the vendored divisions (``fulfillment.divisions``).

Revision ID: 155278893f8b
Revises: b96caa89156d
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '155278893f8b'
down_revision = 'b96caa89156d'
branch_labels = None
depends_on = None


def _fill() -> None:
    from fulfillment.divisions import resolve

    bind = op.get_bind()
    addresses = sa.table('addresses', sa.column('id', sa.Integer),
                         *(sa.column(n, sa.String) for n in (
                             'province', 'city', 'district', 'province_code', 'city_code',
                             'district_code')))
    for row in bind.execute(sa.select(addresses)).all():
        place = resolve(row.province, row.city, row.district)
        if place is not None:
            bind.execute(addresses.update().where(addresses.c.id == row.id)
                         .values(**place.codes()))
    districts = sa.table('center_districts', sa.column('id', sa.Integer),
                         *(sa.column(n, sa.String) for n in (
                             'province', 'city', 'district', 'district_code')))
    for row in bind.execute(sa.select(districts)).all():
        place = resolve(row.province, row.city, row.district)
        if place is not None:
            bind.execute(districts.update().where(districts.c.id == row.id)
                         .values(district_code=place.district.code))


def upgrade():
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('city_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('district_code', sa.String(length=6), nullable=True))
    with op.batch_alter_table('center_districts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_code', sa.String(length=6), nullable=True))
        batch_op.create_index(batch_op.f('ix_center_districts_district_code'),
                              ['district_code'], unique=False)
    _fill()


def downgrade():
    with op.batch_alter_table('center_districts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_center_districts_district_code'))
        batch_op.drop_column('district_code')
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.drop_column('district_code')
        batch_op.drop_column('city_code')
        batch_op.drop_column('province_code')
