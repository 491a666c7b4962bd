// PolylensReport
