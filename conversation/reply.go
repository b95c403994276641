package conversation

// Merge joins each reply that has only text to the reply after it, so a
// channel sends one message per question instead of several: "Your
// concerns: …" and "Another concern?" with its buttons become one message.
// A reply with options or attachments ends a message.
func Merge(replies []Reply) []Reply {
	var out []Reply
	text := ""
	for i, r := range replies {
		if text != "" && r.Text != "" {
			text += "\n\n"
		}
		text += r.Text
		if len(r.Options) == 0 && len(r.Attachments) == 0 && i < len(replies)-1 {
			continue
		}
		r.Text = text
		out = append(out, r)
		text = ""
	}
	return out
}
