# Numbers on Spanish pages follow the US Spanish convention (CLDR es_US): the people who read them are in
# the United States and every amount is in US dollars, so $3,304.90 reads the same in both languages.
# Django's own Spanish formats (Spain: 3.304,90) keep everything else (dates, month names).
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
