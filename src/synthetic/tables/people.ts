/** Name and Massachusetts address tables for synthetic people and places (all fictitious). */

export const FEMALE_GIVEN = [
  'Maria', 'Emily', 'Olivia', 'Sophia', 'Ava', 'Isabella', 'Mia', 'Charlotte', 'Amelia', 'Harper',
  'Abigail', 'Ella', 'Grace', 'Chloe', 'Camila', 'Lucia', 'Aaliyah', 'Nia', 'Linh', 'Mei',
  'Fatima', 'Ana', 'Gabriela', 'Rosa', 'Keisha', 'Hannah', 'Sarah', 'Julia', 'Leah', 'Nora',
  'Priya', 'Zoe', 'Lily', 'Valentina', 'Daniela', 'Yasmin', 'Naomi', 'Ruth', 'Joan', 'Carmen',
] as const;

export const MALE_GIVEN = [
  'James', 'Michael', 'Daniel', 'David', 'Joseph', 'Carlos', 'Luis', 'Jose', 'Anthony', 'Matthew',
  'Ethan', 'Noah', 'Liam', 'Lucas', 'Mateo', 'Benjamin', 'Samuel', 'Elijah', 'Jayden', 'Kevin',
  'Minh', 'Wei', 'Omar', 'Ahmed', 'Andre', 'Marcus', 'Tyrone', 'Patrick', 'Sean', 'Brian',
  'Arjun', 'Rafael', 'Diego', 'Juan', 'Paul', 'Thomas', 'Henry', 'Owen', 'Isaac', 'Victor',
] as const;

export const FAMILY = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  'Sullivan', 'Murphy', "O'Brien", 'Kelly', 'Fitzgerald', 'Pereira', 'Silva', 'Santos', 'Tran', 'Pham',
  'Chen', 'Wang', 'Li', 'Patel', 'Shah', 'Cohen', 'Rossi', 'Costa', 'Oliveira', 'Diaz',
] as const;

export interface Place {
  city: string;
  postalCode: string;
  areaCode: string;
}

export const MA_PLACES: readonly Place[] = [
  { city: 'Boston', postalCode: '02118', areaCode: '617' },
  { city: 'Boston', postalCode: '02121', areaCode: '617' },
  { city: 'Worcester', postalCode: '01608', areaCode: '508' },
  { city: 'Springfield', postalCode: '01103', areaCode: '413' },
  { city: 'Lowell', postalCode: '01852', areaCode: '978' },
  { city: 'Cambridge', postalCode: '02139', areaCode: '617' },
  { city: 'New Bedford', postalCode: '02740', areaCode: '508' },
  { city: 'Brockton', postalCode: '02301', areaCode: '508' },
  { city: 'Quincy', postalCode: '02169', areaCode: '617' },
  { city: 'Lynn', postalCode: '01902', areaCode: '781' },
  { city: 'Fall River', postalCode: '02720', areaCode: '508' },
  { city: 'Lawrence', postalCode: '01840', areaCode: '978' },
  { city: 'Somerville', postalCode: '02143', areaCode: '617' },
  { city: 'Framingham', postalCode: '01702', areaCode: '508' },
  { city: 'Haverhill', postalCode: '01830', areaCode: '978' },
  { city: 'Malden', postalCode: '02148', areaCode: '781' },
  { city: 'Chelsea', postalCode: '02150', areaCode: '617' },
  { city: 'Pittsfield', postalCode: '01201', areaCode: '413' },
  { city: 'Taunton', postalCode: '02780', areaCode: '508' },
  { city: 'Chicopee', postalCode: '01013', areaCode: '413' },
  { city: 'Holyoke', postalCode: '01040', areaCode: '413' },
  { city: 'Fitchburg', postalCode: '01420', areaCode: '978' },
  { city: 'Salem', postalCode: '01970', areaCode: '978' },
  { city: 'Revere', postalCode: '02151', areaCode: '781' },
  { city: 'Hyannis', postalCode: '02601', areaCode: '508' },
];

export const STREETS = [
  'Main St', 'Washington St', 'Elm St', 'Maple Ave', 'Centre St', 'Pleasant St', 'Union St', 'Park St',
  'Summer St', 'Chestnut St', 'Water St', 'School St', 'Highland Ave', 'Prospect St', 'Broadway',
  'Harrison Ave', 'Columbus Ave', 'Dorchester Ave', 'Blue Hill Ave', 'State St', 'Franklin St', 'Oak St',
] as const;

/** OMB race categories (urn:oid:2.16.840.1.113883.6.238) with rough weights for the demo. */
export const RACES: ReadonlyArray<readonly [{ code: string; display: string }, number]> = [
  [{ code: '2106-3', display: 'White' }, 55],
  [{ code: '2054-5', display: 'Black or African American' }, 15],
  [{ code: '2028-9', display: 'Asian' }, 8],
  [{ code: '1002-5', display: 'American Indian or Alaska Native' }, 1],
  [{ code: '2131-1', display: 'Other Race' }, 21],
];

export const ETHNICITIES: ReadonlyArray<readonly [{ code: string; display: string }, number]> = [
  [{ code: '2135-2', display: 'Hispanic or Latino' }, 27],
  [{ code: '2186-5', display: 'Not Hispanic or Latino' }, 73],
];
