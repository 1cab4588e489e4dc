"""Fixed data of the plausible sample cities: Toronto (the default) and Vancouver.

Each place is in the town its address names, at about that spot; riders and drivers live in
neighbourhoods where newcomer families settle, on real streets of that neighbourhood. The people
are invented; their phone numbers are in the 555-01xx range reserved for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.models import PlaceKind


@dataclass(frozen=True)
class SamplePlace:
    """A place the organisation's riders go to; ``town`` is the town its address names."""

    key: str
    name: str
    name_zh: str
    aliases: tuple[str, ...]
    kind: PlaceKind
    address: str
    town: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Area:
    """A neighbourhood where riders and drivers live: its centre, spread and a few streets."""

    name: str
    town: str
    latitude: float
    longitude: float
    spread: float
    streets: tuple[str, ...]


@dataclass(frozen=True)
class City:
    """One organisation's sample: who it is, where its people live and where they go."""

    key: str
    slug: str
    name: str
    time_zone: str
    province: str
    sms_number: str
    help_contact: str
    area_code: str
    driver_area_code: str
    places: tuple[SamplePlace, ...]
    areas: tuple[Area, ...]


TORONTO = City(
    key="toronto",
    slug="toronto-newcomer-rides",
    name="Toronto Newcomer Rides",
    time_zone="America/Toronto",
    province="ON",
    sms_number="+14165550100",
    help_contact="+1 416 555 0199",
    area_code="416",
    driver_area_code="647",
    places=(
        SamplePlace(
            "tnt-warden",
            "T&T Supermarket Warden",
            "大統華 華登店",
            ("T and T Warden", "T&T Warden", "大統華華登"),
            PlaceKind.GROCERY,
            "2300 Lawrence Ave E, Scarborough",
            "Scarborough",
            43.7505,
            -79.2810,
        ),
        SamplePlace(
            "tnt-markham",
            "T&T Supermarket Markham",
            "大統華 萬錦店",
            ("T&T Markham", "大統華萬錦"),
            PlaceKind.GROCERY,
            "8500 Warden Ave, Markham",
            "Markham",
            43.8574,
            -79.3369,
        ),
        SamplePlace(
            "foody",
            "Foody Mart Markham",
            "大眾超級市場",
            ("Foody", "Foody Mart", "大眾"),
            PlaceKind.GROCERY,
            "3255 Highway 7, Markham",
            "Markham",
            43.8497,
            -79.3345,
        ),
        SamplePlace(
            "btrust",
            "Btrust Supermarket",
            "百信超級市場",
            ("Btrust", "百信"),
            PlaceKind.GROCERY,
            "9390 Woodbine Ave, Markham",
            "Markham",
            43.8713,
            -79.3670,
        ),
        SamplePlace(
            "nofrills",
            "No Frills Agincourt",
            "平價超市 愛静閣",
            ("No Frills", "nofrills", "平價"),
            PlaceKind.GROCERY,
            "4473 Sheppard Ave E, Scarborough",
            "Scarborough",
            43.7871,
            -79.2737,
        ),
        SamplePlace(
            "pacific",
            "Pacific Mall Markham",
            "太古廣場",
            ("Pacific Mall", "太古"),
            PlaceKind.OTHER,
            "4300 Steeles Ave E, Markham",
            "Markham",
            43.8253,
            -79.3063,
        ),
        SamplePlace(
            "sgh",
            "Scarborough General Hospital",
            "士嘉堡綜合醫院",
            ("SGH", "Scarborough General"),
            PlaceKind.HOSPITAL,
            "3050 Lawrence Ave E, Scarborough",
            "Scarborough",
            43.7553,
            -79.2475,
        ),
        SamplePlace(
            "msh",
            "Markham Stouffville Hospital",
            "萬錦醫院",
            ("MSH", "Markham Hospital", "萬錦醫院"),
            PlaceKind.HOSPITAL,
            "381 Church St, Markham",
            "Markham",
            43.8826,
            -79.2317,
        ),
        SamplePlace(
            "agincourt-clinic",
            "Agincourt Family Clinic",
            "愛静閣家庭診所",
            ("Agincourt clinic", "家庭診所"),
            PlaceKind.CLINIC,
            "4002 Sheppard Ave E, Scarborough",
            "Scarborough",
            43.7830,
            -79.2895,
        ),
        SamplePlace(
            "rh-medical",
            "Richmond Hill Medical Centre",
            "列治文山醫療中心",
            ("RH medical", "列治文山診所"),
            PlaceKind.CLINIC,
            "9325 Yonge St, Richmond Hill",
            "Richmond Hill",
            43.8656,
            -79.4337,
        ),
        SamplePlace(
            "hongfook",
            "Hong Fook Mental Health Association",
            "康福心理健康協會",
            ("Hong Fook", "康福"),
            PlaceKind.CLINIC,
            "3320 Midland Ave, Scarborough",
            "Scarborough",
            43.8038,
            -79.2889,
        ),
        SamplePlace(
            "service-canada",
            "Service Canada Scarborough",
            "加拿大服務中心 士嘉堡",
            ("Service Canada", "服務中心"),
            PlaceKind.GOVERNMENT,
            "200 Town Centre Ct, Scarborough",
            "Scarborough",
            43.7744,
            -79.2566,
        ),
        SamplePlace(
            "ircc",
            "IRCC Scarborough",
            "移民局 士嘉堡",
            ("immigration office", "IRCC", "移民局"),
            PlaceKind.GOVERNMENT,
            "55 Town Centre Ct, Scarborough",
            "Scarborough",
            43.7737,
            -79.2583,
        ),
        SamplePlace(
            "legal-clinic",
            "Chinese and Southeast Asian Legal Clinic",
            "華人及東南亞法律援助中心",
            ("legal clinic", "法律援助", "MTCSALC"),
            PlaceKind.LEGAL_AID,
            "180 Dundas St W, Toronto",
            "Toronto",
            43.6548,
            -79.3866,
        ),
        SamplePlace(
            "ccc",
            "Chinese Cultural Centre",
            "多倫多中華文化中心",
            ("CCC", "Cultural Centre", "文化中心"),
            PlaceKind.COMMUNITY_CENTRE,
            "5183 Sheppard Ave E, Scarborough",
            "Scarborough",
            43.8011,
            -79.2362,
        ),
    ),
    areas=(
        Area(
            "Scarborough",
            "Scarborough",
            43.7700,
            -79.2600,
            0.020,
            ("Brimley Rd", "Ellesmere Rd", "McCowan Rd", "Midland Ave", "Progress Ave"),
        ),
        Area(
            "Agincourt",
            "Scarborough",
            43.7854,
            -79.2785,
            0.012,
            ("Sheppard Ave E", "Kennedy Rd", "Glen Watford Dr", "Huntingwood Dr"),
        ),
        Area(
            "Markham",
            "Markham",
            43.8561,
            -79.3370,
            0.020,
            ("Kennedy Rd", "Warden Ave", "Highway 7", "Denison St", "Bur Oak Ave"),
        ),
        Area(
            "Richmond Hill",
            "Richmond Hill",
            43.8750,
            -79.4100,
            0.020,
            ("Yonge St", "Major Mackenzie Dr E", "Bayview Ave", "Leslie St", "16th Ave"),
        ),
    ),
)

VANCOUVER = City(
    key="vancouver",
    slug="vancouver-newcomer-rides",
    name="Vancouver Newcomer Rides",
    time_zone="America/Vancouver",
    province="BC",
    sms_number="+16045550100",
    help_contact="+1 604 555 0199",
    area_code="604",
    driver_area_code="778",
    places=(
        SamplePlace(
            "tnt-metrotown",
            "T&T Supermarket Metrotown",
            "大統華 鐵道鎮店",
            ("T&T Metrotown", "大統華鐵道鎮"),
            PlaceKind.GROCERY,
            "4800 Kingsway, Burnaby",
            "Burnaby",
            49.2262,
            -123.0005,
        ),
        SamplePlace(
            "tnt-richmond",
            "T&T Supermarket Lansdowne",
            "大統華 列治文店",
            ("T&T Richmond", "T&T Lansdowne", "大統華列治文"),
            PlaceKind.GROCERY,
            "5300 No. 3 Rd, Richmond",
            "Richmond",
            49.1720,
            -123.1363,
        ),
        SamplePlace(
            "tnt-chinatown",
            "T&T Supermarket Chinatown",
            "大統華 唐人街店",
            ("T&T Chinatown", "大統華唐人街"),
            PlaceKind.GROCERY,
            "179 Keefer Pl, Vancouver",
            "Vancouver",
            49.2797,
            -123.1050,
        ),
        SamplePlace(
            "superstore-grandview",
            "Real Canadian Superstore Grandview",
            "超級商店 格蘭維尤",
            ("Superstore", "超級商店"),
            PlaceKind.GROCERY,
            "3185 Grandview Hwy, Vancouver",
            "Vancouver",
            49.2583,
            -123.0381,
        ),
        SamplePlace(
            "aberdeen",
            "Aberdeen Centre Richmond",
            "時代坊",
            ("Aberdeen", "時代坊"),
            PlaceKind.OTHER,
            "4151 Hazelbridge Way, Richmond",
            "Richmond",
            49.1838,
            -123.1331,
        ),
        SamplePlace(
            "richmond-hospital",
            "Richmond Hospital",
            "列治文醫院",
            ("Richmond General",),
            PlaceKind.HOSPITAL,
            "7000 Westminster Hwy, Richmond",
            "Richmond",
            49.1699,
            -123.1457,
        ),
        SamplePlace(
            "vgh",
            "Vancouver General Hospital",
            "溫哥華綜合醫院",
            ("VGH", "Vancouver General"),
            PlaceKind.HOSPITAL,
            "899 W 12th Ave, Vancouver",
            "Vancouver",
            49.2617,
            -123.1235,
        ),
        SamplePlace(
            "burnaby-hospital",
            "Burnaby Hospital",
            "本拿比醫院",
            ("Burnaby General",),
            PlaceKind.HOSPITAL,
            "3935 Kincaid St, Burnaby",
            "Burnaby",
            49.2494,
            -123.0151,
        ),
        SamplePlace(
            "metrotown-clinic",
            "Metrotown Family Clinic Burnaby",
            "鐵道鎮家庭診所",
            ("Metrotown clinic", "鐵道鎮診所"),
            PlaceKind.CLINIC,
            "4720 Kingsway, Burnaby",
            "Burnaby",
            49.2269,
            -123.0015,
        ),
        SamplePlace(
            "pender-health",
            "Pender Community Health Centre",
            "彭德社區健康中心",
            ("Pender clinic", "彭德診所"),
            PlaceKind.CLINIC,
            "59 W Pender St, Vancouver",
            "Vancouver",
            49.2808,
            -123.1054,
        ),
        SamplePlace(
            "legal-aid-bc",
            "Legal Aid BC Vancouver",
            "卑詩法律援助 溫哥華",
            ("Legal Aid", "legal clinic", "法律援助"),
            PlaceKind.LEGAL_AID,
            "510 Burrard St, Vancouver",
            "Vancouver",
            49.2862,
            -123.1171,
        ),
        SamplePlace(
            "service-canada-richmond",
            "Service Canada Richmond",
            "加拿大服務中心 列治文",
            ("Service Canada", "服務中心"),
            PlaceKind.GOVERNMENT,
            "5611 Cooney Rd, Richmond",
            "Richmond",
            49.1733,
            -123.1345,
        ),
        SamplePlace(
            "ircc-vancouver",
            "IRCC Vancouver",
            "移民局 溫哥華",
            ("immigration office", "IRCC", "移民局"),
            PlaceKind.GOVERNMENT,
            "1148 Hornby St, Vancouver",
            "Vancouver",
            49.2786,
            -123.1265,
        ),
        SamplePlace(
            "success",
            "S.U.C.C.E.S.S. Chinatown Vancouver",
            "中僑互助會 唐人街",
            ("SUCCESS", "中僑"),
            PlaceKind.COMMUNITY_CENTRE,
            "28 W Pender St, Vancouver",
            "Vancouver",
            49.2810,
            -123.1047,
        ),
    ),
    areas=(
        Area(
            "Richmond",
            "Richmond",
            49.1700,
            -123.1300,
            0.015,
            ("No. 3 Rd", "Granville Ave", "Garden City Rd", "Westminster Hwy", "Blundell Rd"),
        ),
        Area(
            "Metrotown",
            "Burnaby",
            49.2276,
            -123.0076,
            0.012,
            ("Kingsway", "Imperial St", "Willingdon Ave", "Patterson Ave", "Beresford St"),
        ),
        Area(
            "Renfrew-Collingwood",
            "Vancouver",
            49.2500,
            -123.0500,
            0.012,
            ("Kingsway", "Renfrew St", "Rupert St", "E 29th Ave", "Joyce St"),
        ),
        Area(
            "Chinatown",
            "Vancouver",
            49.2790,
            -123.0990,
            0.006,
            ("Keefer St", "E Pender St", "Gore Ave", "Union St"),
        ),
    ),
)

CITIES: dict[str, City] = {TORONTO.key: TORONTO, VANCOUVER.key: VANCOUVER}
