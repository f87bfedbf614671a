"""Event categories as people read them, in French and English.

The codes are Mobilizon's (lib/mobilizon/events/categories.ex in Mobilizon's source), which other
event servers send too, plus WORKSHOP and SOCIAL_EVENT, which the tiers-lieux use most. A code we
do not know is shown as its words ("FOOD_DRINK" -> "Food drink"), never refused; a category
that is already words ("atelier", "A&B") is shown as it is.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["fr", "en"]

CODE_SHAPE = re.compile(r"[A-Z][A-Z0-9_]*")

# code: (French, English)
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "ARTS": ("Arts", "Arts"),
    "AUTO_BOAT_AIR": ("Auto, bateau, avion", "Auto, boat and air"),
    "BOOK_CLUBS": ("Clubs de lecture", "Book clubs"),
    "BUSINESS": ("Entreprise", "Business"),
    "CAUSES": ("Causes", "Causes"),
    "COMEDY": ("Humour", "Comedy"),
    "COMMUNITY": ("Communauté", "Community"),
    "CRAFTS": ("Artisanat", "Crafts"),
    "FAMILY_EDUCATION": ("Famille et éducation", "Family and education"),
    "FASHION_BEAUTY": ("Mode et beauté", "Fashion and beauty"),
    "FILM_MEDIA": ("Cinéma et médias", "Film and media"),
    "FOOD_DRINK": ("Cuisine et boissons", "Food and drink"),
    "GAMES": ("Jeux", "Games"),
    "HEALTH": ("Santé", "Health"),
    "LANGUAGE_CULTURE": ("Langues et cultures", "Language and culture"),
    "LEARNING": ("Apprentissage", "Learning"),
    "LGBTQ": ("LGBTQ", "LGBTQ"),
    "MEETING": ("Réunion", "Meeting"),
    "MOVEMENTS_POLITICS": ("Mouvements et politique", "Movements and politics"),
    "MUSIC": ("Musique", "Music"),
    "NETWORKING": ("Réseautage", "Networking"),
    "OUTDOORS_ADVENTURE": ("Plein air", "Outdoors and adventure"),
    "PARTY": ("Fête", "Party"),
    "PERFORMING_VISUAL_ARTS": ("Arts du spectacle et visuels", "Performing and visual arts"),
    "PETS": ("Animaux", "Pets"),
    "PHOTOGRAPHY": ("Photographie", "Photography"),
    "SCIENCE_TECH": ("Sciences et techniques", "Science and tech"),
    "SOCIAL_EVENT": ("Moment convivial", "Social event"),
    "SPIRITUALITY_RELIGION_BELIEFS": ("Spiritualité", "Spirituality and beliefs"),
    "SPORTS": ("Sports", "Sports"),
    "THEATRE": ("Théâtre", "Theatre"),
    "WORKSHOP": ("Atelier", "Workshop"),
}


def category_words(code: str | None, language: Language) -> str:
    """The category as words in `language`; an unknown code as its own words."""
    if not code:
        return ""
    known = CATEGORY_WORDS.get(code.upper())
    if known is not None:
        return known[0] if language == "fr" else known[1]
    if CODE_SHAPE.fullmatch(code):
        return code.replace("_", " ").strip().capitalize()
    return code  # already words, as some servers and our own form let people type them
