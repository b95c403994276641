package conversation

import "testing"

func TestMerge(t *testing.T) {
	in := []Reply{{Text: "a"}, {Text: "b", Options: []Option{{ID: "x"}}}, {Text: "c"}, {Text: "d", Attachments: []Attachment{{Name: "f"}}}, {Text: "e"}}
	out := Merge(in)
	if len(out) != 3 || out[0].Text != "a\n\nb" || len(out[0].Options) != 1 || out[1].Text != "c\n\nd" || out[2].Text != "e" {
		t.Fatalf("merged: %+v", out)
	}
	if len(Merge(nil)) != 0 {
		t.Fatal("nothing from nothing")
	}
}
