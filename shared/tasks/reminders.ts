// Reminder presets of Sell (F8.2): how long before the due time a reminder fires.
export const REMINDER_PRESETS = {
  '1w': 7 * 24 * 60,
  '1d': 24 * 60,
  '1h': 60,
  '30m': 30,
  '15m': 15,
  '5m': 5,
  at_due: 0,
} as const satisfies Record<string, number>;
export type ReminderPreset = keyof typeof REMINDER_PRESETS;
export const REMINDER_PRESET_NAMES = Object.keys(REMINDER_PRESETS) as ReminderPreset[];
