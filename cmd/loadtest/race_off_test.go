//go:build !race

package main

// raceDetector says this test binary was built with -race.
const raceDetector = false
