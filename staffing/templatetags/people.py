"""`{{ user|person }}`: a login shown by its staff member's name (staffing.people.person_label)."""

from django import template

from staffing.people import person_label

register = template.Library()


@register.filter
def person(user) -> str:
    return person_label(user)
