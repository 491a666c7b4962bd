// PolylensAnalysis
