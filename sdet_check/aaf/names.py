"""Small built-in lists the AAF generator draws from: names, places, nomenclatures.

Frequent French surnames and first names (with the accents and ligatures real files carry:
é, è, ë, ï, ç, œ), towns with their postal code and académie, and a plausible subset of the
subject and MEF nomenclatures. No real person is described: every generated person is a
random combination.
"""

from __future__ import annotations

SURNAMES = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
    "LAURENT", "SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
    "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
    "MULLER", "LEFEBVRE", "FAURE", "ANDRÉ", "MERCIER", "BLANC", "GUÉRIN", "BOYER", "GARNIER",
    "CHEVALIER", "FRANÇOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLÉMENT",
    "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND",
    "DUVAL", "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOËL", "MEYER", "DUFOUR", "MEUNIER",
    "BRUN", "BLANCHARD", "GIRAUD", "JOLY", "RIVIÈRE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER",
    "ARNAUD", "MARTINEZ", "GÉRARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN",
    "VIDAL", "CARON", "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS",
    "LACROIX", "OLIVIER", "PHILIPPE", "BOURGEOIS", "PIERRE", "BENOÎT", "REY", "LECLERC",
    "PAYET", "ROLLAND", "LECLERCQ", "GUILLAUME", "LECOMTE", "LOPEZ", "JEAN", "DUPUY",
    "GUILLOT", "HUBERT", "BERGER", "CARPENTIER", "SANCHEZ", "DUPUIS", "MOULIN", "LOUIS",
    "DESCHAMPS", "HUET", "VASSEUR", "PEREZ", "BOUCHER", "FLEURY", "ROYER", "KLEIN", "JACQUET",
    "ADAM", "PARIS", "POIRIER", "MARTY", "AUBRY", "GUYOT", "CARRÉ", "CHARLES", "RENAULT",
    "CHARPENTIER", "MÉNARD", "MAILLARD", "BARON", "BERTIN", "BAILLY", "HERVÉ", "SCHNEIDER",
    "FERNANDEZ", "LE GALL", "COLLET", "LÉGER", "BOUVIER", "JULIEN", "PRÉVOST", "MILLET",
    "PERROT", "DANIEL", "LE ROUX", "COUSIN", "GERMAIN", "BRETON", "BESSON", "LANGLOIS",
    "RÉMY", "LE GOFF", "PELLETIER", "LÉVÊQUE", "PERRIER", "LEBLANC", "BARRÉ", "LEBRUN",
    "MARCHAL", "WEBER", "MALLET", "HAMON", "BOULANGER", "JACOB", "MONNIER", "MICHAUD",
    "RODRIGUEZ", "GUICHARD", "GILLET", "ÉTIENNE", "GRONDIN", "POULAIN", "TESSIER", "CHEVALLIER",
    "COLLIN", "CHAUVIN", "DA SILVA", "BOUCHET", "GAY", "LEMAÎTRE", "BENARD", "MARÉCHAL",
    "HUMBERT", "REYNAUD", "ANTOINE", "HOARAU", "PERRET", "BARTHÉLEMY", "CORDIER", "PICHON",
    "LEJEUNE", "GILBERT", "LAMY", "DELAUNAY", "PASQUIER", "CARLIER", "LAPORTE", "CŒUR",
    "L'HÔTE", "DE LA FONTAINE", "NGUYEN", "DIALLO", "TRAORÉ", "BENSAÏD", "MOREIRA",
)  # fmt: skip

GIRLS = (
    "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Mila", "Inès",
    "Ambre", "Julia", "Mia", "Léna", "Manon", "Juliette", "Lou", "Zoé", "Camille", "Agathe",
    "Jeanne", "Lucie", "Éva", "Nina", "Sarah", "Romane", "Inaya", "Charlotte", "Léonie",
    "Romy", "Adèle", "Iris", "Louna", "Margaux", "Clémence", "Maëlys", "Anaïs", "Noémie",
    "Héloïse", "Gaëlle", "Océane", "Aurélie", "Hélène", "Cécile", "Françoise", "Béatrice",
    "Nathalie", "Isabelle", "Sophie", "Valérie", "Sandrine", "Stéphanie", "Céline", "Émilie",
    "Joséphine", "Maïwenn", "Zélie", "Capucine", "Salomé",
)  # fmt: skip

BOYS = (
    "Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël", "Lucas", "Hugo",
    "Noah", "Liam", "Gabin", "Sacha", "Paul", "Nathan", "Aaron", "Mohamed", "Ethan", "Tom",
    "Éden", "Léon", "Noé", "Tiago", "Théo", "Isaac", "Marius", "Victor", "Ayden", "Martin",
    "Naël", "Mathéo", "Axel", "Antoine", "Timéo", "Baptiste", "Clément", "Loïc", "Gaël",
    "Benoît", "Jérôme", "François", "Stéphane", "Frédéric", "Sébastien", "Cédric", "Hervé",
    "Régis", "André", "Noël", "Joël", "Aurélien", "Valentin", "Côme", "Anatole", "Élie",
    "Maxence", "Jérémy", "Mickaël", "Ludovic",
)  # fmt: skip

TOWNS = (
    ("PARIS", "75017", "PARIS", "01"),
    ("LYON", "69003", "LYON", "10"),
    ("MARSEILLE", "13005", "AIX-MARSEILLE", "02"),
    ("TOULOUSE", "31000", "TOULOUSE", "16"),
    ("NANTES", "44000", "NANTES", "17"),
    ("RENNES", "35000", "RENNES", "14"),
    ("LILLE", "59000", "LILLE", "09"),
    ("BORDEAUX", "33000", "BORDEAUX", "04"),
    ("STRASBOURG", "67000", "STRASBOURG", "15"),
    ("MONTPELLIER", "34000", "MONTPELLIER", "11"),
    ("DIJON", "21000", "DIJON", "07"),
    ("BESANÇON", "25000", "BESANCON", "03"),
    ("ORLÉANS", "45000", "ORLEANS-TOURS", "18"),
    ("CAEN", "14000", "NORMANDIE", "05"),
    ("GRENOBLE", "38000", "GRENOBLE", "08"),
    ("NANCY", "54000", "NANCY-METZ", "12"),
    ("POITIERS", "86000", "POITIERS", "13"),
    ("LIMOGES", "87000", "LIMOGES", "22"),
    ("CLERMONT-FERRAND", "63000", "CLERMONT-FERRAND", "06"),
    ("SAINT-ÉTIENNE", "42000", "LYON", "10"),
    ("L'HAŸ-LES-ROSES", "94240", "CRETEIL", "24"),
    ("ÉVRY-COURCOURONNES", "91000", "VERSAILLES", "25"),
)

STREETS = (
    "rue de la République", "avenue Jean Jaurès", "place de l'Église", "rue Victor Hugo",
    "boulevard Gambetta", "chemin des Écoliers", "rue des Lilas", "allée des Châtaigniers",
    "rue Pasteur", "impasse du Moulin", "rue de la Gare", "avenue du Général Leclerc",
    "rue Émile Zola", "place du Marché", "rue des Écoles", "route de Saint-Jean",
)  # fmt: skip

SCHOOL_NAMES = (
    "JEAN MOULIN",
    "VICTOR HUGO",
    "JULES FERRY",
    "LOUISE MICHEL",
    "MARIE CURIE",
    "JEAN JAURÈS",
    "PAUL ÉLUARD",
    "ALBERT CAMUS",
    "SIMONE VEIL",
    "GEORGE SAND",
    "JACQUES PRÉVERT",
    "ANNE FRANK",
    "LÉONARD DE VINCI",
    "ÉMILE ZOLA",
    "COLETTE",
    "JEAN DE LA FONTAINE",
    "ANTOINE DE SAINT-EXUPÉRY",
    "PIERRE ET MARIE CURIE",
)

SUBJECTS = (
    ("020700", "FRANCAIS"),
    ("061300", "MATHEMATIQUES"),
    ("030201", "ANGLAIS LV1"),
    ("030602", "ESPAGNOL LV2"),
    ("030102", "ALLEMAND LV2"),
    ("040600", "HISTOIRE-GEOGRAPHIE"),
    ("041400", "ENSEIGNEMENT MORAL ET CIVIQUE"),
    ("062900", "SCIENCES DE LA VIE ET DE LA TERRE"),
    ("062300", "PHYSIQUE-CHIMIE"),
    ("070800", "TECHNOLOGIE"),
    ("090100", "ARTS PLASTIQUES"),
    ("081300", "EDUCATION MUSICALE"),
    ("100100", "EDUCATION PHYSIQUE ET SPORTIVE"),
    ("021500", "LATIN"),
    ("013000", "SCIENCES ECONOMIQUES ET SOCIALES"),
    ("011400", "PHILOSOPHIE"),
    ("008400", "VIE DE CLASSE"),
)
"""Subject codes and labels (``ENTMatJointure``, ``ENTLibelleMatiere``)."""

DISCIPLINES = {
    "020700": ("L0202", "LETTRES MODERNES"),
    "061300": ("L1300", "MATHEMATIQUES"),
    "030201": ("L0422", "ANGLAIS"),
    "030602": ("L0426", "ESPAGNOL"),
    "030102": ("L0421", "ALLEMAND"),
    "040600": ("L1000", "HISTOIRE GEOGRAPHIE"),
    "062900": ("L1600", "SCIENCES VIE ET TERRE"),
    "062300": ("L1500", "PHYSIQUE CHIMIE"),
    "070800": ("L1400", "TECHNOLOGIE"),
    "090100": ("L1800", "ARTS PLASTIQUES"),
    "081300": ("L1700", "EDUCATION MUSICALE"),
    "100100": ("L1900", "EDUCATION PHYSIQUE ET SPORTIVE"),
    "021500": ("L0201", "LETTRES CLASSIQUES"),
    "013000": ("L1100", "SCIENCES ECONOMIQUES ET SOCIALES"),
    "011400": ("L0100", "PHILOSOPHIE"),
}
"""Teaching discipline of the teachers of a subject (code and label, for ENTPersonFonctions)."""

LEVELS = {
    "college": (
        ("6", "10010012110", "6EME", ("020700", "061300", "030201", "040600", "041400",
                                      "062900", "070800", "090100", "081300", "100100")),
        ("5", "10110001110", "5EME", ("020700", "061300", "030201", "030602", "040600",
                                      "041400", "062900", "062300", "070800", "090100",
                                      "081300", "100100")),
        ("4", "10210001110", "4EME", ("020700", "061300", "030201", "030602", "040600",
                                      "041400", "062900", "062300", "070800", "090100",
                                      "081300", "100100")),
        ("3", "10310019110", "3EME", ("020700", "061300", "030201", "030602", "040600",
                                      "041400", "062900", "062300", "070800", "090100",
                                      "081300", "100100")),
    ),
    "lycee": (
        ("2", "20010018110", "2NDE GENERALE ET TECHNO", ("020700", "061300", "030201",
                                                         "030602", "040600", "062900",
                                                         "062300", "013000", "100100")),
        ("1", "20110019110", "1ERE GENERALE", ("020700", "061300", "030201", "030602",
                                               "040600", "062900", "062300", "100100")),
        ("T", "20210019110", "TERMINALE GENERALE", ("011400", "061300", "030201", "030602",
                                                    "040600", "062900", "100100")),
    ),
}  # fmt: skip
"""Per type of structure: level prefix, MEF code, MEF label and the subjects taught."""

STRUCTURE_TYPES = {
    "college": ("CLG", "COLLEGE", "340"),
    "lycee": ("LYC", "LYCEE D ENSEIGNEMENT GENERAL ET TECHNOLOGIQUE", "300"),
}

RELATIONSHIPS = ("10", "20", "39")
"""Relationship codes of a relative to a pupil (second part of ``ENTElevePersRelEleve``)."""

STAFF_FUNCTIONS = (
    ("DIR", "DIRECTION", "D0010", "CHEF D'ETABLISSEMENT"),
    ("DIR", "DIRECTION", "D0030", "ADJOINT CHEF D'ETABLISSEMENT"),
    ("EDU", "EDUCATION", "E0030", "CONSEILLER PRINCIPAL D'EDUCATION"),
    ("SUR", "SURVEILLANCE", "S0010", "ASSISTANT D'EDUCATION"),
    ("DOC", "DOCUMENTATION", "L0100", "DOCUMENTATION"),
    ("ADF", "ADMINISTRATION", "A0010", "GESTIONNAIRE"),
    ("LAB", "LABORATOIRE", "T0010", "TECHNICIEN DE LABORATOIRE"),
    ("MDS", "MEDICO-SOCIAL", "M0010", "INFIRMIER"),
)
"""Non-teaching staff functions: code, label, position code, position label."""
