package office

import "time"

// Shares: each time's appointment places are split by who books them, as
// ZMS splits its workstations into public, call-centre and internal ones.
// Citizens booking themselves (chat, mail, web) may take the online share
// (Booking.OnlineShare, or a concern's own, the smaller for several);
// staff booking for a caller (phone, info desk) or for internal use may
// take every place. What the staff share has not used ShareOpensBefore
// ahead of its time opens to citizens too, so no place stays empty for
// want of a call.

// OnlineShare is the share of each time's places citizens may book
// themselves for concerns: the smallest of their concerns' shares.
func (c *Config) OnlineShare(concerns []ConcernCount) float64 {
	share := c.Booking.OnlineShare
	for _, cc := range concerns {
		if cn, ok := c.Concern(cc.ID); ok && cn.OnlineShare != nil && *cn.OnlineShare < share {
			share = *cn.OnlineShare
		}
	}
	return share
}

// OnlinePlaces is how many of the places of a time at start citizens may
// book themselves for concerns, asked at now: all of them
// (AppointmentCapacity) from ShareOpensBefore ahead of the time on, else
// those not kept for staff (the staff share of the capacity, rounded).
func (c *Config) OnlinePlaces(concerns []ConcernCount, start, now time.Time) int {
	places := c.compiled.apptCap
	if !now.Add(c.Booking.ShareOpensBefore).Before(start) {
		return places
	}
	return places - c.keptForStaff(c.OnlineShare(concerns))
}

// StaffPlaces is how many of each time's places the office keeps for staff
// well ahead of the time (by Booking.OnlineShare; a concern may keep more).
func (c *Config) StaffPlaces() int { return c.keptForStaff(c.Booking.OnlineShare) }

// keptForStaff is the places of a time not for citizens under an online
// share: the rest of the capacity, rounded.
func (c *Config) keptForStaff(online float64) int {
	return int(float64(c.compiled.apptCap)*(1-online) + 0.5)
}
