// Package conversation is the booking dialogue that every channel drives:
// Telegram, e-mail, Mattermost and the local web chat only translate their
// wire formats into Messages and render the Replies (options become
// buttons or numbered lists).
//
// Each chat has a dialogue whose state moves along a graph of events
// checked by github.com/looplab/fsm (see transitions in engine.go). The
// state and the collected answers are stored in the booking store's bbolt
// file after every message, so a restart resumes every dialogue. Texts come
// from a message catalogue (locales/*.yaml) in German and English.
//
// The engine understands typed answers as well as buttons (parse.go):
// concern names and short forms, dates, times, parts of the day, waiting
// numbers and PINs. A message that says enough skips the questions it
// answers. Reminders, offers of earlier free times and calls are sent
// through each channel's Sender (watch.go).
package conversation
