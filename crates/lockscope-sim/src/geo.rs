//! Places users sign in from: the tenant's home cities and the attackers' cities.
//!
//! Home and attacker countries never overlap, so "a new country" is always new. Address
//! prefixes and ASNs are plausible for the place (an ISP there), not a claim about a network.

/// One city with the network its addresses come from.
#[derive(Debug)]
pub(crate) struct City {
    pub country: &'static str,
    pub state: &'static str,
    pub city: &'static str,
    pub lat: f64,
    pub lon: f64,
    /// UTC offset in hours in April (daylight time where it applies).
    pub utc_offset: i8,
    /// First two octets of the address block; the second is widened by up to 7.
    pub net: [u8; 2],
    pub asn: u32,
    /// Relative share of the tenant's users (home cities only).
    pub weight: u32,
}

#[allow(clippy::too_many_arguments)] // one argument per column of the tables below
const fn city(
    country: &'static str,
    state: &'static str,
    city: &'static str,
    lat: f64,
    lon: f64,
    utc_offset: i8,
    net: [u8; 2],
    asn: u32,
    weight: u32,
) -> City {
    City { country, state, city, lat, lon, utc_offset, net, asn, weight }
}

/// Where Contoso's people live and work.
pub(crate) const HOME: &[City] = &[
    city("US", "Washington", "Seattle", 47.6062, -122.3321, -7, [73, 97], 7922, 14),
    city("US", "New York", "New York", 40.7128, -74.006, -4, [68, 160], 7922, 14),
    city("US", "Illinois", "Chicago", 41.8781, -87.6298, -5, [98, 206], 7922, 8),
    city("US", "Texas", "Dallas", 32.7767, -96.797, -5, [99, 8], 7018, 8),
    city("US", "Massachusetts", "Boston", 42.3601, -71.0589, -4, [24, 60], 7922, 6),
    city("US", "California", "San Francisco", 37.7749, -122.4194, -7, [67, 180], 7922, 8),
    city("US", "Georgia", "Atlanta", 33.749, -84.388, -4, [108, 81], 7018, 5),
    city("CA", "Ontario", "Toronto", 43.6532, -79.3832, -4, [174, 112], 812, 6),
    city("GB", "England", "London", 51.5074, -0.1278, 1, [86, 128], 5607, 10),
    city("GB", "England", "Manchester", 53.4808, -2.2426, 1, [82, 24], 5089, 4),
    city("IE", "Dublin", "Dublin", 53.3498, -6.2603, 1, [89, 100], 5466, 4),
    city("DE", "Berlin", "Berlin", 52.52, 13.405, 2, [91, 64], 3320, 5),
    city("DE", "Bayern", "Munich", 48.1351, 11.582, 2, [84, 150], 3320, 4),
];

/// Where attacks come from. None of these countries is a home country.
pub(crate) const FOREIGN: &[City] = &[
    city("NL", "Noord-Holland", "Amsterdam", 52.3676, 4.9041, 2, [185, 107], 43350, 1),
    city("RU", "Moscow", "Moscow", 55.7558, 37.6173, 3, [95, 142], 12389, 1),
    city("VN", "Ha Noi", "Hanoi", 21.0278, 105.8342, 7, [113, 160], 45899, 1),
    city("BR", "Sao Paulo", "Sao Paulo", -23.5505, -46.6333, -3, [177, 54], 28573, 1),
    city("NG", "Lagos", "Lagos", 6.5244, 3.3792, 1, [102, 89], 29465, 1),
    city("CN", "Shanghai", "Shanghai", 31.2304, 121.4737, 8, [116, 236], 4812, 1),
    city("RO", "Bucuresti", "Bucharest", 44.4268, 26.1025, 3, [89, 38], 8708, 1),
    city("IN", "Maharashtra", "Mumbai", 19.076, 72.8777, 5, [103, 21], 45609, 1),
    city("ID", "Jakarta", "Jakarta", -6.2088, 106.8456, 7, [36, 72], 7713, 1),
    city("SG", "Singapore", "Singapore", 1.3521, 103.8198, 8, [128, 199], 14061, 1),
    city("UA", "Kyiv", "Kyiv", 50.4501, 30.5234, 3, [91, 196], 13188, 1),
];

/// An address in `c`'s block from four random bytes.
pub(crate) fn address(c: &City, r: [u8; 3]) -> u32 {
    u32::from_be_bytes([c.net[0], c.net[1].wrapping_add(r[0] % 8), r[1], 1 + r[2] % 253])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_countries_are_never_home_countries() {
        for f in FOREIGN {
            assert!(HOME.iter().all(|h| h.country != f.country), "{}", f.country);
        }
    }
}
