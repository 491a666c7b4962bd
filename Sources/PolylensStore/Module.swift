// PolylensStore
