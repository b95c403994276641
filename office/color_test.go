package office

import "testing"

func TestCheckColor(t *testing.T) {
	for _, tc := range []struct {
		color string
		ok    bool
	}{
		{"", true},
		{"#0b5cad", true},  // 6.6:1
		{"#000000", true},  // 21:1
		{"#767676", true},  // 4.54:1, the lightest grey that passes
		{"#777777", false}, // 4.48:1
		{"#ffcc00", false}, // yellow: white on it cannot be read
		{"0b5cad", false},
		{"#0b5cag", false},
		{"#fff", false},
		{"red", false},
	} {
		if err := CheckColor(tc.color); (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.color, err)
		}
	}
}
