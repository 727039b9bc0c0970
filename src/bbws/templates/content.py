"""What the built-in templates hold: pages and posts written as WordPress block markup (as the editor saves it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape


def heading(text: str, level: int = 2) -> str:
    attrs = "" if level == 2 else f' {{"level":{level}}}'
    return f"<!-- wp:heading{attrs} -->\n<h{level}>{escape(text)}</h{level}>\n<!-- /wp:heading -->"


def paragraph(text: str) -> str:
    return f"<!-- wp:paragraph -->\n<p>{text}</p>\n<!-- /wp:paragraph -->"


def items(*entries: str) -> str:
    inner = "".join(f"<!-- wp:list-item -->\n<li>{entry}</li>\n<!-- /wp:list-item -->" for entry in entries)
    return f"<!-- wp:list -->\n<ul>{inner}</ul>\n<!-- /wp:list -->"


def button(text: str, url: str) -> str:
    link = f'<a class="wp-block-button__link wp-element-button" href="{escape(url)}">{escape(text)}</a>'
    inner = f'<!-- wp:button -->\n<div class="wp-block-button">{link}</div>\n<!-- /wp:button -->'
    return f'<!-- wp:buttons -->\n<div class="wp-block-buttons">{inner}</div>\n<!-- /wp:buttons -->'


def columns(*cells: str) -> str:
    inner = "".join(
        f'<!-- wp:column -->\n<div class="wp-block-column">{cell}</div>\n<!-- /wp:column -->' for cell in cells
    )
    return f'<!-- wp:columns -->\n<div class="wp-block-columns">{inner}</div>\n<!-- /wp:columns -->'


def separator() -> str:
    return '<!-- wp:separator -->\n<hr class="wp-block-separator has-alpha-channel-opacity"/>\n<!-- /wp:separator -->'


def quote(text: str, cite: str) -> str:
    return (
        f'<!-- wp:quote -->\n<blockquote class="wp-block-quote">{paragraph(escape(text))}'
        f"<cite>{escape(cite)}</cite></blockquote>\n<!-- /wp:quote -->"
    )


def blocks(*parts: str) -> str:
    return "\n\n".join(parts)


@dataclass(frozen=True)
class Entry:
    """A page or post: created in this order, so later entries may link to earlier ones (by title)."""

    title: str
    content: str  # block markup; `{link:Title}` is replaced by the permalink of the entry with that title
    type: str = "post"
    categories: tuple[str, ...] = field(default_factory=tuple)


# The front page of a block theme without the page's title above it: the Home page opens with its own hero.
FRONT_PAGE_TEMPLATE = blocks(
    '<!-- wp:template-part {"slug":"header","tagName":"header"} /-->',
    '<!-- wp:group {"tagName":"main","layout":{"type":"constrained"}} -->\n<main class="wp-block-group">'
    '<!-- wp:post-content {"layout":{"type":"constrained"}} /--></main>\n<!-- /wp:group -->',
    '<!-- wp:template-part {"slug":"footer","tagName":"footer"} /-->',
)

# -- business --------------------------------------------------------------------------------------------------
BUSINESS_TAGLINE = "Practical consulting for growing companies"
BUSINESS_PAGES = (
    Entry(
        "About",
        blocks(
            paragraph(
                "We are a small team of consultants who have run operations, finance and technology for companies "
                "from five people to five hundred. We help owners make the next step without losing what made "
                "the business work."
            ),
            columns(
                blocks(
                    heading("Our story", 3),
                    paragraph(
                        "Founded in 2012 by two former operations managers, we have since worked with more "
                        "than 140 clients in retail, logistics and professional services."
                    ),
                ),
                blocks(
                    heading("How we work", 3),
                    paragraph(
                        "Short engagements with clear goals, weekly check-ins, and a written plan you keep "
                        "when we leave."
                    ),
                ),
            ),
            quote(
                "They found the three changes that mattered and helped us make them in a quarter.",
                "Operations director, regional retailer",
            ),
        ),
        type="page",
    ),
    Entry(
        "Contact",
        blocks(
            paragraph("Tell us a little about your business and we will reply within one working day."),
            columns(
                blocks(heading("Visit", 3), paragraph("12 Harbour Street<br>Cape Town 8001")),
                blocks(
                    heading("Write or call", 3),
                    paragraph('<a href="mailto:hello@example.com">hello@example.com</a><br>+27 21 555 0100'),
                ),
                blocks(heading("Hours", 3), paragraph("Monday to Friday, 8:00 to 17:00")),
            ),
        ),
        type="page",
    ),
    Entry(
        "Services",
        blocks(
            paragraph(
                "Every engagement starts with a free one-hour conversation about where you are and where you "
                "want to be."
            ),
            columns(
                blocks(
                    heading("Strategy", 3),
                    items("Growth planning", "Market and pricing reviews", "Board and investor preparation"),
                ),
                blocks(
                    heading("Operations", 3),
                    items("Process mapping", "Supplier and inventory reviews", "Hiring plans for the next year"),
                ),
                blocks(
                    heading("Technology", 3),
                    items("Systems selection", "Website and e-commerce audits", "Data and reporting set-up"),
                ),
            ),
            separator(),
            button("Book a free conversation", "{link:Contact}"),
        ),
        type="page",
    ),
    Entry(
        "Home",
        blocks(
            heading("Grow with confidence", 1),
            paragraph(
                "We help owner-led companies plan, organise and grow: strategy you can act on, operations that "
                "scale, and technology that fits."
            ),
            button("See our services", "{link:Services}"),
            separator(),
            columns(
                blocks(heading("Plan", 3), paragraph("A clear plan for the next twelve months, built with your team.")),
                blocks(heading("Organise", 3), paragraph("Processes and roles that keep working as you hire.")),
                blocks(heading("Grow", 3), paragraph("Measures that show what is working, reviewed every month.")),
            ),
            paragraph(
                'Want to know more about us? Read <a href="{link:About}">our story</a> or '
                '<a href="{link:Contact}">get in touch</a>.'
            ),
        ),
        type="page",
    ),
)

# -- blog ------------------------------------------------------------------------------------------------------
BLOG_TAGLINE = "Stories, recipes and notes from the road"
BLOG_POSTS = (
    Entry(
        "Three days on the Garden Route",
        blocks(
            paragraph(
                "We drove east from Mossel Bay with no plan beyond a list of beaches and a cooler full of "
                "padkos. These are the stops worth the detour."
            ),
            heading("Where we stayed"),
            items(
                "A farm cottage outside Wilderness",
                "A backpackers in Knysna with a view of the Heads",
                "A campsite at Nature's Valley",
            ),
            paragraph("Next time we will leave a whole day for the forest walks."),
        ),
        categories=("Travel",),
    ),
    Entry(
        "A weeknight bobotie",
        blocks(
            paragraph(
                "Bobotie is spiced mince baked under a savoury custard. This version takes forty minutes and "
                "feeds four."
            ),
            heading("Ingredients"),
            items(
                "500 g beef mince",
                "1 onion, chopped",
                "2 tablespoons curry powder",
                "1 slice of bread soaked in milk",
                "2 eggs and 250 ml milk for the topping",
                "A handful of raisins and a few bay leaves",
            ),
            paragraph(
                "Brown the onion and mince, add the spices, bread and raisins, top with the egg mixture and bake "
                "for 25 minutes at 180 °C."
            ),
        ),
        categories=("Cooking",),
    ),
    Entry(
        "What I learned writing every day for a month",
        blocks(
            paragraph("Thirty short posts, one a day. Most of them were not very good, and that was the point."),
            quote("The way to get started is to quit talking and begin doing.", "Walt Disney"),
            paragraph("The habit mattered more than any single piece: by the third week the words came faster."),
        ),
        categories=("Notes",),
    ),
    Entry(
        "Packing light for a week away",
        blocks(
            paragraph("One carry-on, one small backpack. The list that made it work:"),
            items(
                "Three shirts that go with everything",
                "One warm layer",
                "A pair of shoes you can walk all day in",
                "A paperback you do not mind leaving behind",
            ),
        ),
        categories=("Travel", "Notes"),
    ),
    Entry(
        "About",
        blocks(
            paragraph(
                "I write about the places I go, the food I cook when I get home, and whatever I am learning in "
                "between. New posts most weeks."
            ),
            paragraph('Say hello at <a href="mailto:hello@example.com">hello@example.com</a>.'),
        ),
        type="page",
    ),
)


def with_links(content: str, links: dict[str, str]) -> str:
    """Fill `{link:Title}` with the permalinks made so far (absolute: an import rewrites them to the new site)."""
    for title, url in links.items():
        content = content.replace("{link:" + title + "}", escape(url))
    return content
