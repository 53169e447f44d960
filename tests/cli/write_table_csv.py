#!/usr/bin/env python3
"""Writes a small synthetic credit-like CSV for the tabular tests (stdlib only, deterministic).

Usage: write_table_csv.py OUT.csv ROWS SEED [--task binary|multiclass|regression] [--unseen] [--missing]

Columns: age, amount (numbers in the thousands), purpose (strings, one holding a comma, so it is
quoted), housing, city (strings), zip (digit strings with leading zeros: categorical when named so),
and the label: `class` good/bad (binary), `segment` a/b/c (multiclass) or `price` (regression, in the
thousands). The label is a rule of the features plus noise, so a model can learn it.
--unseen: some purpose/city values never seen in a file written without it. --missing: some empty
amount cells."""
import csv, random, sys

out, rows, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
task = sys.argv[sys.argv.index("--task") + 1] if "--task" in sys.argv else "binary"
unseen, missing = "--unseen" in sys.argv, "--missing" in sys.argv
rng = random.Random(seed)
purposes = ["car", "furniture", "radio/tv", "education", "business"]
effect = {"car": 1.0, "furniture": -0.5, "radio/tv": 0.3, "education": -1.2, "business": 0.8}
cities = ["New York, NY", "Boston", "Chicago", 'The "Big" Easy']
label_name = {"binary": "class", "multiclass": "segment", "regression": "price"}[task]
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(["age", "amount", "purpose", "housing", "city", "zip", label_name])
    for i in range(rows):
        age = rng.randint(19, 75)
        amount = round(rng.uniform(250, 15000), 1)
        purpose = rng.choice(purposes)
        housing = rng.choice(["own", "rent", "free"])
        city = rng.choice(cities)
        zipcode = "0%04d" % rng.choice([1234, 2345, 3456])
        score = effect[purpose] + (age - 45) / 15 - (amount - 7500) / 5000 + (0.7 if housing == "own" else 0)
        score += rng.gauss(0, 0.5)
        if unseen and i % 7 == 3:
            purpose = "repairs"
        if unseen and i % 11 == 5:
            city = "Springfield"
        cell_amount = "" if missing and i % 9 == 4 else amount
        if task == "binary":
            label = "good" if score > 0 else "bad"
        elif task == "multiclass":
            label = "a" if score < -0.7 else ("b" if score < 0.7 else "c")
        else:
            label = round(3000 + 1500 * score, 2)
        w.writerow([age, cell_amount, purpose, housing, city, zipcode, label])
