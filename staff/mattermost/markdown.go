package mattermost

import (
	"strings"

	"buergerbuero/booking"
)

// plain makes text a citizen wrote (a name) inert in Mattermost markdown:
// one line, every markdown sign escaped (no links, images or formatting),
// no mention (@channel would ping everybody) and no auto-link (the dots and
// colons of a web address are escaped), no invisible characters that would
// turn the line around (booking.StripInvisible).
func plain(s string) string {
	var b strings.Builder
	for _, r := range strings.Join(strings.Fields(booking.StripInvisible(s)), " ") {
		switch r {
		case '\\', '*', '_', '`', '[', ']', '(', ')', '{', '}', '#', '~', '>', '<', '|', '!', ':', '.', '+', '-', '=', '$', '&', '"', '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '@':
			b.WriteString("@\u200b")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
