/** A catalog shaped like `T` (the English one): the same keys, any strings. */
export type Catalog<T> = { [K in keyof T]: T[K] extends string ? string : Catalog<T[K]> };
