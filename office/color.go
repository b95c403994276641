package office

import (
	"fmt"
	"math"
	"strconv"
)

// MinContrast is the contrast white text needs on the office's colour
// (WCAG 2.1 AA for normal text).
const MinContrast = 4.5

// CheckColor checks an office colour: empty (the default), or "#rrggbb"
// dark enough for white text on it.
func CheckColor(color string) error {
	if color == "" {
		return nil
	}
	var rgb [3]float64
	if len(color) != 7 || color[0] != '#' {
		return fmt.Errorf("%q is not a colour like #0b5cad", color)
	}
	for i := range rgb {
		v, err := strconv.ParseUint(color[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return fmt.Errorf("%q is not a colour like #0b5cad", color)
		}
		rgb[i] = float64(v) / 255
	}
	if c := contrastWithWhite(rgb); c < MinContrast {
		return fmt.Errorf("%s is too light for white text on it (contrast %.1f:1, at least %.1f:1 is needed to read it); take a darker shade", color, c, MinContrast)
	}
	return nil
}

// contrastWithWhite is WCAG's contrast ratio of white on the colour.
func contrastWithWhite(rgb [3]float64) float64 {
	lin := func(c float64) float64 {
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(rgb[0]) + 0.7152*lin(rgb[1]) + 0.0722*lin(rgb[2])
	return 1.05 / (l + 0.05)
}
