"""The funding sources of each period as the tests expect them, written out once: codes in
column order and the Vietnamese column headers (``short_vi`` in ``planning/data/``)."""

SOURCES_2021_2025 = {
    "central_investment": "NSTW - ĐTPT",
    "central_recurrent": "NSTW - SN",
    "local": "NSĐP",
    "other": "Huy động khác",
}
SOURCES_2026_2030 = {
    "central_investment": "NSTW - ĐTPT",
    "central_recurrent": "NSTW - SN",
    "local_province": "NS tỉnh",
    "local_commune": "NS xã",
    "integrated": "Vốn lồng ghép",
    "credit": "Vốn tín dụng",
    "enterprise_community": "DN, cộng đồng",
}
