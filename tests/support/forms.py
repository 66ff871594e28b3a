"""What the tests post: the form of a product, of a center, of a checkout."""


def product_form(category, **overrides):
    data = {"sku": "HS-TEST-500", "slug": "sea-cucumber-test-500", "name_zh": "淡干海参 500g",
            "name_en": "Dried sea cucumber 500 g", "description_zh": "辽参", "description_en": "",
            "category_id": str(category.id), "price": "128.50", "member_price": "118.00",
            "days_of_supply": "", "position": "3", "active": "y"}
    data.update(overrides)
    return data


def center_form(**overrides):
    data = {"code": "hz-xh", "name_zh": "杭州西湖配送中心", "name_en": "Hangzhou West Lake hub",
            "is_delivery": "y", "province": "浙江省", "city": "杭州市", "district": "西湖区",
            "address_zh": "杭州市西湖区文三路 1 号", "address_en": "1 Wensan Road",
            "lat": "30.2741", "lng": "120.1551", "phone": "0571-88886666",
            "opens_at": "09:00", "closes_at": "20:30", "radius_km": "",
            "districts": "浙江省 杭州市 西湖区\n浙江省 杭州市 上城区\n\n浙江省 杭州市 西湖区",
            "active": "y"}
    data.update(overrides)
    return data


def checkout_data(lines, method="pickup", center=None, payment=None, **address) -> dict:
    data = {"method": method,
            "payment_method": payment or ("pay_at_pickup" if method == "pickup"
                                          else "cash_on_delivery")}
    if center is not None:
        data["center_id"] = str(center.id)
    for i, (product, quantity) in enumerate(lines):
        data[f"lines-{i}-product_id"] = str(product.id)
        data[f"lines-{i}-quantity"] = str(quantity)
    data.update(address)
    return data
