import { pick, randomInt, type Random } from './random.js';

/** A product line: the words its names are built from and its base price range in USD. */
interface ProductLine {
  category: string;
  /** Three-letter SKU prefix. */
  code: string;
  items: readonly string[];
  qualifiers: readonly string[];
  sizes: readonly string[];
  minPriceUsd: number;
  maxPriceUsd: number;
  blurb: string;
}

const PRODUCT_LINES: readonly ProductLine[] = [
  {
    category: 'Fasteners',
    code: 'FST',
    items: [
      'Hex Bolt',
      'Socket Cap Screw',
      'Wood Screw',
      'Flat Washer',
      'Lock Nut',
      'Carriage Bolt',
    ],
    qualifiers: ['Stainless Steel', 'Zinc-Plated Steel', 'Brass', 'Galvanized Steel', 'Nylon'],
    sizes: ['M4', 'M5', 'M6', 'M8', 'M10', 'M12', '1/4 in', '3/8 in'],
    minPriceUsd: 0.15,
    maxPriceUsd: 4.5,
    blurb: 'Sold individually; order in multiples for bulk pricing.',
  },
  {
    category: 'Hand Tools',
    code: 'HND',
    items: [
      'Claw Hammer',
      'Combination Wrench',
      'Adjustable Wrench',
      'Utility Knife',
      'Tape Measure',
    ],
    qualifiers: ['Professional', 'Heavy-Duty', 'Compact', 'Insulated', 'Ergonomic'],
    sizes: ['6 in', '8 in', '10 in', '12 in', '16 oz', '25 ft'],
    minPriceUsd: 6,
    maxPriceUsd: 65,
    blurb: 'Drop-forged and covered by a lifetime warranty.',
  },
  {
    category: 'Power Tools',
    code: 'PWR',
    items: ['Cordless Drill', 'Impact Driver', 'Angle Grinder', 'Circular Saw', 'Jigsaw'],
    qualifiers: ['18V', '20V', 'Brushless 18V', 'Corded', 'Compact 12V'],
    sizes: ['Kit', 'Bare Tool', 'with 2 Batteries', '115 mm', '125 mm'],
    minPriceUsd: 59,
    maxPriceUsd: 449,
    blurb: 'Ships with a 3-year limited warranty.',
  },
  {
    category: 'Electrical',
    code: 'ELC',
    items: [
      'Extension Cord',
      'Cable Tie Pack',
      'Wire Connector Kit',
      'LED Work Light',
      'Junction Box',
    ],
    qualifiers: ['Outdoor', 'Heavy-Duty', 'Weatherproof', 'Flame-Retardant', 'Industrial'],
    sizes: ['10 m', '25 m', '100-Pack', '20 A', '30 W', '4 in'],
    minPriceUsd: 3,
    maxPriceUsd: 120,
    blurb: 'Rated for commercial job sites.',
  },
  {
    category: 'Plumbing',
    code: 'PLB',
    items: ['Ball Valve', 'Compression Fitting', 'PTFE Thread Tape', 'Hose Clamp', 'PEX Elbow'],
    qualifiers: ['Brass', 'Stainless Steel', 'PVC', 'Copper', 'Lead-Free Brass'],
    sizes: ['1/2 in', '3/4 in', '1 in', '15 mm', '22 mm'],
    minPriceUsd: 0.9,
    maxPriceUsd: 48,
    blurb: 'Suitable for potable water lines.',
  },
  {
    category: 'Safety',
    code: 'SAF',
    items: ['Safety Glasses', 'Nitrile Gloves', 'Ear Defenders', 'Hard Hat', 'Hi-Vis Vest'],
    qualifiers: ['Anti-Fog', 'Disposable', 'Cut-Resistant', 'Vented', 'Reflective'],
    sizes: ['Size M', 'Size L', 'Size XL', 'Box of 100', 'Pack of 10', 'One Size'],
    minPriceUsd: 2.5,
    maxPriceUsd: 39,
    blurb: 'Meets ANSI workplace safety requirements.',
  },
  {
    category: 'Adhesives',
    code: 'ADH',
    items: [
      'Epoxy Adhesive',
      'Construction Adhesive',
      'Silicone Sealant',
      'Threadlocker',
      'Duct Tape',
    ],
    qualifiers: ['Clear', 'Fast-Set', 'High-Strength', 'Waterproof', 'Medium-Strength'],
    sizes: ['50 ml', '300 ml', '10 g', '48 mm x 50 m', '2-Pack'],
    minPriceUsd: 3.5,
    maxPriceUsd: 28,
    blurb: 'Store between 5 and 25 degrees Celsius.',
  },
  {
    category: 'Abrasives',
    code: 'ABR',
    items: ['Sanding Disc', 'Flap Disc', 'Cutting Wheel', 'Sanding Sponge', 'Wire Brush'],
    qualifiers: ['Aluminum Oxide', 'Zirconia', 'Silicon Carbide', 'Ceramic'],
    sizes: ['P80', 'P120', 'P240', '115 mm', '125 mm', 'Pack of 25'],
    minPriceUsd: 1.2,
    maxPriceUsd: 36,
    blurb: 'For metal, wood and composite surfaces.',
  },
];

/** Product fields that seeding chooses; ids and timestamps are added by the caller. */
export interface ProductDraft {
  Sku: string;
  Name: string;
  Description: string;
  Category: string;
  BasePriceUsd: number;
  StockQuantity: number;
  Active: boolean;
}

/** Builds a product whose SKU ends in `sequence`, so SKUs stay unique. */
export function draftProduct(random: Random, sequence: number): ProductDraft {
  const line = pick(random, PRODUCT_LINES);
  const item = pick(random, line.items);
  const qualifier = pick(random, line.qualifiers);
  const size = pick(random, line.sizes);
  const name = `${qualifier} ${item} ${size}`;

  return {
    Sku: `${line.code}-${initials(item)}-${String(sequence).padStart(6, '0')}`,
    Name: name,
    Description: `${name}. ${line.blurb}`,
    Category: line.category,
    BasePriceUsd: randomPrice(random, line.minPriceUsd, line.maxPriceUsd),
    StockQuantity: random() < 0.05 ? 0 : randomInt(random, 1, 2000),
    Active: random() >= 0.05,
  };
}

/** Returns the upper-case initials of the words, for example 'Hex Bolt' -> 'HB'. */
function initials(words: string): string {
  return words
    .split(/[\s-]+/)
    .map((word) => word.charAt(0).toUpperCase())
    .filter((letter) => /[A-Z]/.test(letter))
    .join('');
}

function randomPrice(random: Random, min: number, max: number): number {
  const cents = randomInt(random, Math.round(min * 100), Math.round(max * 100));
  return cents / 100;
}

const COMPANY_PREFIXES = [
  'Acme',
  'Northwind',
  'Blue Ridge',
  'Summit',
  'Harbor',
  'Pioneer',
  'Cedar',
  'Ironwood',
  'Lakeside',
  'Redstone',
  'Silverline',
  'Granite',
  'Maple',
  'Riverbend',
  'Keystone',
  'Frontier',
];

const COMPANY_SUFFIXES = [
  'Construction',
  'Builders',
  'Supply Co.',
  'Industrial',
  'Mechanical',
  'Electric',
  'Plumbing',
  'Fabrication',
  'Maintenance',
  'Contractors',
];

/** Returns a company name such as 'Granite Mechanical'. */
export function companyName(random: Random): string {
  return `${pick(random, COMPANY_PREFIXES)} ${pick(random, COMPANY_SUFFIXES)}`;
}

/** Returns a mailbox under example.com, a domain reserved for documentation. */
export function companyEmail(name: string, customerNumber: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `purchasing+${customerNumber.toLowerCase()}@${slug}.example.com`;
}
