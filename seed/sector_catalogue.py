"""Catalogues for seeded sector records: plate codes, vehicles, vaccines, employers.

Plate codes are the two-digit province codes of vehicle plates (Circular
58/2020/TT-BCA), keyed by the registry's 3-digit province code; the big cities
have several. Vehicle makes and models are weighted roughly by Vietnamese sales.
"""

from __future__ import annotations

PLATE_CODES: dict[str, tuple[int, ...]] = {
    "001": (29, 30, 31, 32, 33, 40), "002": (23,), "004": (11,), "006": (97,), "008": (22,),
    "010": (24,), "011": (27,), "012": (25,), "014": (26,), "015": (21,), "017": (28,),
    "019": (20,), "020": (12,), "022": (14,), "024": (98,), "025": (19,), "026": (88,),
    "027": (99,), "030": (34,), "031": (15, 16), "033": (89,), "034": (17,), "035": (90,),
    "036": (18,), "037": (35,), "038": (36,), "040": (37,), "042": (38,), "044": (73,),
    "045": (74,), "046": (75,), "048": (43,), "049": (92,), "051": (76,), "052": (77,),
    "054": (78,), "056": (79,), "058": (85,), "060": (86,), "062": (82,), "064": (81,),
    "066": (47,), "067": (48,), "068": (49,), "070": (93,), "072": (70,), "074": (61,),
    "075": (60,), "077": (72,), "079": (41, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59),
    "080": (62,), "082": (63,), "083": (71,), "084": (84,), "086": (64,), "087": (66,),
    "089": (67,), "091": (68,), "092": (65,), "093": (95,), "094": (83,), "095": (94,),
    "096": (69,),
}  # fmt: skip

# Series letters in use on plates (no I, O, Q, W).
PLATE_LETTERS = "ABCDEFGHKLMNPSTUVXYZ"

MOTORBIKES: tuple[tuple[str, str, float], ...] = (
    ("Honda", "Wave Alpha", 0.17), ("Honda", "Vision", 0.16), ("Honda", "Air Blade", 0.09),
    ("Honda", "Lead", 0.07), ("Honda", "Future", 0.06), ("Honda", "SH Mode", 0.04),
    ("Honda", "Winner X", 0.03), ("Honda", "Dream", 0.05), ("Yamaha", "Exciter", 0.06),
    ("Yamaha", "Sirius", 0.07), ("Yamaha", "Janus", 0.03), ("Yamaha", "Grande", 0.02),
    ("Suzuki", "Raider", 0.02), ("Piaggio", "Liberty", 0.02), ("SYM", "Attila", 0.02),
    ("VinFast", "Evo200", 0.03), ("VinFast", "Feliz S", 0.02),
)  # fmt: skip
CARS: tuple[tuple[str, str, float], ...] = (
    ("Toyota", "Vios", 0.12), ("Toyota", "Corolla Cross", 0.06), ("Toyota", "Innova", 0.05),
    ("Hyundai", "Accent", 0.09), ("Hyundai", "Creta", 0.05), ("Kia", "Morning", 0.06),
    ("Kia", "Seltos", 0.05), ("Mazda", "CX-5", 0.08), ("Mazda", "Mazda3", 0.05),
    ("Ford", "Ranger", 0.07), ("Ford", "Everest", 0.04), ("Mitsubishi", "Xpander", 0.08),
    ("Honda", "City", 0.06), ("Honda", "CR-V", 0.04), ("VinFast", "VF 5", 0.06),
    ("VinFast", "VF 8", 0.04),
)  # fmt: skip
COLOURS = ("Đen", "Trắng", "Đỏ", "Xanh", "Bạc", "Xám", "Vàng", "Nâu")

# COVID-19 vaccines given in Việt Nam in 2021-2022, with rough shares of the doses.
COVID_VACCINES: tuple[tuple[str, float], ...] = (
    ("Vaxzevria (AstraZeneca)", 0.32),
    ("Comirnaty (Pfizer-BioNTech)", 0.30),
    ("Vero Cell (Sinopharm)", 0.26),
    ("Spikevax (Moderna)", 0.10),
    ("Abdala", 0.02),
)
# The first doses of the Expanded Programme on Immunization, by age in days.
CHILDHOOD_DOSES: tuple[tuple[str, str, int, int], ...] = (
    ("BCG", "Lao (tuberculosis)", 1, 0),
    ("Engerix-B (viêm gan B sơ sinh)", "Viêm gan B (hepatitis B)", 1, 0),
    ("ComBE Five (DPT-VGB-Hib)", "Bạch hầu, ho gà, uốn ván, viêm gan B, Hib", 1, 61),
)

EMPLOYER_FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân")
EMPLOYER_WORDS = (
    "An Phát", "Hòa Bình", "Thành Công", "Minh Long", "Đại Việt", "Sao Việt", "Phú Thịnh",
    "Hưng Thịnh", "Tân Tiến", "Việt Hàn", "Thái Dương", "Nam Á", "Bình Minh", "Kim Long",
    "Trường Sơn", "Hồng Hà", "Đông Á", "Vạn Xuân", "Phương Nam", "Sông Hồng",
)  # fmt: skip
EMPLOYER_TRADES = (
    "May mặc", "Xây dựng", "Thương mại", "Điện tử", "Thực phẩm", "Vận tải", "Giày da",
    "Dịch vụ", "Cơ khí", "Công nghệ",
)  # fmt: skip
