"""The demo's shoppers: personas, names, phones, addresses, cards, when each household
ordered, and the CRM profile with the figures ``refresh_figures`` would compute, generated
in Python and written in bulk, a chunk of customers at a time; plus prospects without an
account. A part of ``DemoShop``, which holds the catalog, centers and clock it reads."""

import secrets
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import click
from werkzeug.security import generate_password_hash

from core.models import Role
from crm.customers.models import Stage
from crm.customers.services import derive_stage
from storefront.loyalty.models import Tier
from storefront.models import OrderStatus

from .bulk import Batch, apportion, next_id
from .data import (
    AREAS,
    CUSTOMER_NOTES,
    GIFTER,
    GIVEN_F,
    GIVEN_M,
    GOURMET,
    HOUR_WEIGHTS,
    HZ,
    INTERESTS,
    MEMBER_RATE,
    NO_ORDER_RATE,
    ONCE,
    ORDER_WEIGHT,
    PARENT,
    PERSONAS,
    PHONE_PREFIXES,
    PROSPECT_NOTES,
    PROVINCE,
    SH,
    SURNAME_WEIGHTS,
    SURNAMES,
    festive,
)

HISTORY_DAYS = 548  # 18 months
CHUNK = 500  # customers generated and inserted at a time


class Shoppers:
    """Shoppers, their households and profiles (a part of ``DemoShop``)."""

    def build_customers(self, n_customers: int, n_orders: int) -> None:
        rng = self.rng
        self.customer_password = secrets.token_urlsafe(9)
        self.customer_hash = generate_password_hash(self.customer_password, method="scrypt")
        personas = rng.choices([p for p, _ in PERSONAS], weights=[w for _, w in PERSONAS],
                               k=n_customers)
        cities = [SH if rng.random() < 0.6 else HZ for _ in range(n_customers)]
        weights = [0.0 if rng.random() < NO_ORDER_RATE
                   else ORDER_WEIGHT[p] * rng.lognormvariate(0, 0.45) for p in personas]
        counts = apportion(n_orders, weights)
        today = self._designate_today(counts, cities, n_orders)

        self.ids = {t: next_id(t) for t in ("users", "customers", "orders", "fulfillments")}
        self.day_weights = {p: self._day_weights(p) for p in (GOURMET, GIFTER, ONCE)}
        self.best_customer = None
        with click.progressbar(length=n_customers, label="Customers and orders") as bar:
            for start in range(0, n_customers, CHUNK):
                batch = Batch()
                for i in range(start, min(start + CHUNK, n_customers)):
                    self._customer(batch, personas[i], cities[i], counts[i], today.get(i))
                batch.write()
                self.counts_add(batch)
                bar.update(min(CHUNK, n_customers - start))
        batch = Batch()
        for _ in range(n_customers // 10):
            self._prospect(batch)
        batch.write()
        self.counts_add(batch)

    def counts_add(self, batch: Batch) -> None:
        for table, rows in batch.rows.items():
            self.counts[table] = self.counts.get(table, 0) + len(rows)

    def _designate_today(self, counts, cities, n_orders) -> dict[int, tuple[str, bool]]:
        """Whose last order was placed today, at which center, and whether it is still open.

        The desks' work: the first two at each center are open whatever the dice say.
        """
        wanted = min(n_orders, max(12, round(n_orders * 0.004)))
        pool = {SH: [], HZ: []}
        for i, (count, city) in enumerate(zip(counts, cities, strict=True)):
            if count:
                pool[city].append(i)
        for ids in pool.values():
            self.rng.shuffle(ids)
        chosen = {}
        codes = [code for code, c in self.centers.items() if c.is_pickup or c.is_delivery]
        for k in range(wanted):
            code = codes[k % len(codes)]
            ids = pool[self.centers[code].city]
            if ids:
                chosen[ids.pop()] = (code, k < 2 * len(codes))
        return chosen

    def _day_weights(self, persona: str) -> list[float]:
        """Relative sales per day over the history: growth, winter tonics, festival gifts."""
        weights = []
        for k in range(HISTORY_DAYS):
            day = (self.window_start + timedelta(days=k)).date()
            growth = 0.6 + 0.7 * k / HISTORY_DAYS
            festivity = festive(day)
            winter = 1.0 if day.month in (11, 12, 1, 2) else 0.0
            if persona == GIFTER:
                w = 0.25 + 3.0 * festivity
            elif persona == GOURMET:
                w = 1.0 + 0.6 * winter + 0.8 * festivity
            else:
                w = 1.0 + 0.5 * festivity
            weights.append(w * growth)
        total, cum = 0.0, []
        for w in weights:
            total += w
            cum.append(total)
        return cum

    def _random_moment(self, day_index: int) -> datetime:
        hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = self.window_start + timedelta(days=day_index, hours=hour,
                                              seconds=self.rng.randrange(3600))
        return local.astimezone(self.now.tzinfo)

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def _name(self, female: bool) -> tuple[str, str, str]:
        surname, sur_py = self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        pool = GIVEN_F if female else GIVEN_M
        parts = self.rng.sample(pool, 2 if self.rng.random() < 0.6 else 1)
        return surname + "".join(c for c, _ in parts), sur_py, "".join(p for _, p in parts)

    def _email(self, sur_py: str, given_py: str, year: int) -> str:
        rng = self.rng
        local = rng.choice([f"{sur_py}{given_py}{year % 100:02d}", f"{given_py}.{sur_py}",
                            f"{sur_py}{given_py}{rng.randrange(1, 1000)}",
                            f"{sur_py}_{given_py}{year}"])
        email = f"{local}@example.com"
        while email in self.used_emails:
            email = f"{local}{rng.randrange(10, 100000)}@example.com"
        self.used_emails.add(email)
        return email

    def _card(self) -> str:
        while True:
            card = "VIP" + f"{self.rng.randrange(10 ** 10):010d}"
            if card not in self.used_cards:
                self.used_cards.add(card)
                return card

    def _address(self, city: str, district: str, name: str, phone: str) -> dict:
        rng = self.rng
        lat, lng, streets = AREAS[city][district]
        street = (f"{rng.choice(streets)}{rng.randrange(1, 1800)}弄{rng.randrange(1, 40)}号"
                  f"{rng.randrange(1, 33)}{rng.randrange(1, 5):02d}室")
        return {"name": name, "phone": phone, "province": PROVINCE[city], "city": city,
                "district": district, "street": street,
                "lat": round(lat + rng.uniform(-0.02, 0.02), 5),
                "lng": round(lng + rng.uniform(-0.02, 0.02), 5)}

    def _customer(self, batch: Batch, persona: str, city: str, n_orders: int,
                  today: tuple[str, bool] | None) -> None:
        rng, now = self.rng, self.now
        female = rng.random() < (0.78 if persona == PARENT else 0.5)
        name, sur_py, given_py = self._name(female)
        birthday = date(rng.randint(1986, 1998) if persona == PARENT else rng.randint(1962, 1996),
                        rng.randint(1, 12), rng.randint(1, 28))
        phone = self._phone()
        home = self._address(city, rng.choice(list(AREAS[city])), name, phone)
        baby = (now - timedelta(days=rng.randint(20, 1000))).date() if persona == PARENT else None
        dates = self._order_dates(persona, n_orders, baby, today is not None)
        registered = (dates[0] - timedelta(days=rng.uniform(0, 25), hours=rng.uniform(0, 12))
                      if dates else self._random_moment(rng.randrange(HISTORY_DAYS)))
        member = None
        if rng.random() < MEMBER_RATE[persona]:
            joined = registered + (now - registered) * (rng.random() ** 2)
            if baby is not None:  # parents often join around the birth
                around_birth = datetime(baby.year, baby.month, baby.day, 10,
                                        tzinfo=self.zone).astimezone(now.tzinfo)
                joined = min(max(registered, around_birth), now - timedelta(hours=1))
            member = SimpleNamespace(joined=joined, card=self._card(),
                                     consent=rng.random() < 0.7)
        hh = SimpleNamespace(
            user_id=self._take("users"), customer_id=self._take("customers"), persona=persona,
            city=city, home=home, member=member, baby=baby,
            pickup_share=rng.choice([0.15, 0.5, 0.8, 0.95]),
            line="ZH" if rng.random() < 0.55 else "YJ")
        email = self._email(sur_py, given_py, birthday.year)
        batch.add("users", id=hh.user_id, email=email, password_hash=self.customer_hash,
                  name=name, phone=phone, role=Role.CUSTOMER, center_id=None, locale=None,
                  active=True, created_at=registered,
                  # their own, proven at sign-up: they sign in by phone and code too
                  phone_verified_at=registered, email_verified_at=registered)
        orders = [self._order(batch, hh, created,
                              today if today and k == len(dates) - 1 else None)
                  for k, created in enumerate(dates)]

        # The figures refresh_figures would compute from these orders.
        counted = [o for o in orders
                   if o["status"] in (OrderStatus.CONFIRMED, OrderStatus.FULFILLED)]
        year_ago = now - timedelta(days=365)
        figures = SimpleNamespace(
            orders_count=len(counted),
            lifetime_amount=sum(o["total_amount"] for o in counted),
            first_order_at=min((o["created_at"] for o in counted), default=None),
            last_order_at=max((o["created_at"] for o in counted), default=None),
            frequency=sum(1 for o in counted if o["created_at"] >= year_ago),
            monetary_amount=sum(o["total_amount"] for o in counted if o["created_at"] >= year_ago),
        )
        if member is not None:
            if persona == PARENT and rng.random() < 0.1:
                baby = None  # a parent who did not tell us the birth date
            elif persona == GOURMET and female and rng.random() < 0.25:
                baby = (now + timedelta(days=rng.randint(20, 200))).date()  # a due date
            points = sum(o["total_amount"] for o in counted
                         if o["created_at"] >= member.joined) // 100
            tier = (Tier.DIAMOND if points >= 30000 else Tier.GOLD if points >= 10000
                    else Tier.SILVER if points >= 3000 else Tier.CLASSIC)
            picked = set(rng.sample(INTERESTS, rng.randint(0, 2)))
            picked.add({PARENT: "formula", GOURMET: "sea_cucumber", GIFTER: "gifts",
                        ONCE: "sea_cucumber"}[persona])
            if baby is not None:
                picked.add("baby_care")
            batch.add("memberships", user_id=hh.user_id, card_number=member.card, tier=tier,
                      points=points, name=name, phone=phone, birthday=birthday,
                      baby_birthday=baby, city=city,
                      interests=[i for i in INTERESTS if i in picked],
                      marketing_consent=member.consent, joined_at=member.joined)
            if self.best_customer is None or figures.orders_count > self.best_customer[1]:
                self.best_customer = (email, figures.orders_count, name)
        batch.add("customers", id=hh.customer_id, user_id=hh.user_id, name=name, phone=phone,
                  email=email, city=city,
                  source=rng.choices(["web", "store", "event", "hotline"], [70, 18, 8, 4])[0],
                  stage=derive_stage(figures, member is not None, now),
                  card_number=member.card if member else None,
                  marketing_consent=bool(member and member.consent),
                  first_order_at=figures.first_order_at, last_order_at=figures.last_order_at,
                  frequency=figures.frequency, monetary_amount=figures.monetary_amount,
                  lifetime_amount=figures.lifetime_amount, orders_count=figures.orders_count,
                  notes=rng.choice(CUSTOMER_NOTES[persona]) if rng.random() < 0.2 else None,
                  gender="female" if female else "male", birthday=birthday,
                  created_at=registered, updated_at=now)
        if baby is not None:
            born = baby <= now.date()
            batch.add("customer_children", customer_id=hh.customer_id,
                      birth_date=baby if born else None, due_date=None if born else baby,
                      created_at=registered)

    def _take(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] += 1
        return value

    def _order_dates(self, persona: str, n: int, baby: date | None, today: bool) -> list:
        """When this household ordered: formula on its reorder rhythm, the rest by season."""
        if not n:
            return []
        rng, dates = self.rng, []
        if today:
            span = max((self.now - self.today_start).total_seconds() - 120, 60)
            dates.append(self.now - timedelta(seconds=rng.uniform(60, span)))
            n -= 1
        if persona == PARENT and baby is not None:
            born = datetime(baby.year, baby.month, baby.day, tzinfo=self.zone)
            earliest = max(self.window_start, born + timedelta(days=rng.randint(3, 45)))
            # a few cans every two or three months, back from the latest order
            if dates:
                at = dates[0] - timedelta(days=rng.uniform(50, 90))
            else:
                idle = rng.uniform(0, 40) if rng.random() < 0.85 else rng.uniform(40, 300)
                at = min(self.now - timedelta(days=idle), self.today_start - timedelta(minutes=1))
            while n and at > earliest:
                dates.append(at)
                n -= 1
                at -= timedelta(days=rng.uniform(50, 90))
        cum = self.day_weights[GOURMET if persona == PARENT else persona]
        for day in rng.choices(range(HISTORY_DAYS), cum_weights=cum, k=n):
            dates.append(self._random_moment(day))
        return sorted(dates)

    def _prospect(self, batch: Batch) -> None:
        """Someone we met at an event, in a store or on the hotline, without an account."""
        rng = self.rng
        city = SH if rng.random() < 0.6 else HZ
        name, _, _ = self._name(rng.random() < 0.7)
        note = rng.choice(PROSPECT_NOTES).format(district=rng.choice(list(AREAS[city])),
                                                 months=rng.randint(1, 8))
        met = self._random_moment(rng.randrange(HISTORY_DAYS))
        batch.add("customers", id=self._take("customers"), user_id=None, name=name,
                  phone=self._phone(), email=None, city=city,
                  source=rng.choice(["event", "store", "hotline"]), stage=Stage.PROSPECT,
                  card_number=None, marketing_consent=rng.random() < 0.5, first_order_at=None,
                  last_order_at=None, frequency=0, monetary_amount=0, lifetime_amount=0,
                  orders_count=0, notes=note, created_at=met, updated_at=met)
