"""Small lists of common US first and last names for fake students (no downloads).

Names never enter the latent risk process; they only make the students file look like an SIS
export, so the privacy checks have real-looking names to catch.
"""

from __future__ import annotations

from typing import Final

FEMALE: Final = (
    "Olivia", "Emma", "Charlotte", "Amelia", "Sophia", "Mia", "Isabella", "Ava", "Evelyn",
    "Luna", "Harper", "Sofia", "Camila", "Eleanor", "Elizabeth", "Violet", "Scarlett", "Emily",
    "Hazel", "Lily", "Gianna", "Aurora", "Penelope", "Aria", "Nora", "Chloe", "Ellie", "Mila",
    "Avery", "Layla", "Abigail", "Ella", "Isla", "Eliana", "Nova", "Madison", "Zoe", "Ivy",
    "Grace", "Lucy", "Willow", "Emilia", "Riley", "Naomi", "Victoria", "Stella", "Maya",
    "Valentina", "Aaliyah", "Ximena", "Jasmine", "Destiny", "Imani", "Mariana", "Fatima",
    "Priya", "Mei", "Leilani", "Keira", "Daniela",
)
MALE: Final = (
    "Liam", "Noah", "Oliver", "James", "Elijah", "Mateo", "Theodore", "Henry", "Lucas",
    "William", "Benjamin", "Levi", "Sebastian", "Jack", "Ezra", "Michael", "Daniel", "Leo",
    "Owen", "Samuel", "Hudson", "Alexander", "Asher", "Luca", "Ethan", "John", "David",
    "Jackson", "Joseph", "Mason", "Luke", "Matthew", "Julian", "Dylan", "Elias", "Jacob",
    "Maverick", "Gabriel", "Logan", "Aiden", "Thomas", "Isaac", "Miles", "Grayson", "Santiago",
    "Anthony", "Wyatt", "Carter", "Jayden", "Josiah", "Diego", "Andre", "Malik", "Omar",
    "Arjun", "Kai", "Wei", "Tyrone", "Carlos", "Ahmed",
)
NEUTRAL: Final = (
    "Alex", "Jordan", "Taylor", "Morgan", "Casey", "Jamie", "Quinn", "Rowan", "Sage", "Skyler",
    "Emerson", "Finley", "River", "Reese", "Dakota", "Phoenix", "Remy", "Ari", "Blake", "Eden",
)
LAST: Final = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "O'Brien", "Chen", "Wang", "Singh", "Begay", "Yazzie", "Kealoha", "Okafor",
)
