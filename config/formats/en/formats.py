# English dates as the site has always written them ("1 December 2026"); Spanish and Russian use Django's own
# formats ("1 de diciembre de 2026", "1 декабря 2026 г."). Templates ask for DATE_FORMAT, never "j F Y", which
# Russian would get wrong (it needs the month in the genitive).
DATE_FORMAT = "j F Y"
