//! The simulated catalogue: service names in the styles real panels use (see
//! `shared/data/service-names.tsv`), each with the speed its name promises.

pub struct ServiceSpec {
    pub name: &'static str,
    pub category: &'static str,
    pub kind: &'static str,
    /// USD per 1000.
    pub rate: f64,
    pub min: u64,
    pub max: u64,
    /// Lower end of the promised speed, units per day (None: the name promises none).
    pub min_per_day: Option<u64>,
    pub refill: bool,
    pub cancel: bool,
    pub provider: &'static str,
    pub link: &'static str,
}

#[allow(clippy::too_many_arguments)] // a table row, read positionally beside SERVICES
const fn s(
    name: &'static str,
    category: &'static str,
    rate: f64,
    min: u64,
    max: u64,
    min_per_day: Option<u64>,
    refill: bool,
    provider: &'static str,
    link: &'static str,
) -> ServiceSpec {
    ServiceSpec {
        name,
        category,
        kind: "Default",
        rate,
        min,
        max,
        min_per_day,
        refill,
        cancel: !refill,
        provider,
        link,
    }
}

pub const SERVICES: &[ServiceSpec] = &[
    s("Tiktok Likes | 1M | 10-20K/D - R30 | Instant Start", "TikTok Likes", 0.12, 10, 1_000_000, Some(10_000), true, "tiktokserver.com", "https://vt.tiktok.com/"),
    s("Instagram Followers | 1M | 100-200K/D - R30 [High Quality+Old Accounts!] [High Speed!]", "Instagram Followers", 0.95, 10, 1_000_000, Some(100_000), true, "smmking.net", "https://instagram.com/"),
    s("Youtube Views [ Native 1k Minimum ] [ speed 30k-50k/day ] [ Start time : 0-10 Minutes ] [ Lifetime ]", "YouTube Views", 1.40, 1000, 10_000_000, Some(30_000), true, "ytprovider.io", "https://youtu.be/"),
    s("YouTube Views | Source : External + Browse Features | Non Drop | Speed 500 Per Day | Lifetime Refill", "YouTube Views", 2.10, 100, 100_000, Some(500), true, "ytprovider.io", "https://youtu.be/"),
    s("Twitter HQ Real Followers [10K] [500-1K/D - R30] [Natural Increase]", "Twitter Followers", 3.20, 50, 10_000, Some(500), true, "xpanel.org", "https://x.com/"),
    s("Instagram Comment Likes [10K] [SPECIFIC COMMENT] [Refill: No] [Max: 10K] [Start Time: 0-1 Hour] [Speed: 5K/Day]", "Instagram Likes", 0.35, 20, 10_000, Some(5_000), false, "smmking.net", "https://instagram.com/p/"),
    s("Youtube Likes [Refill: 30 Days] [Max: 50K] [Start Time: Instant] [Speed: Up to 25K/Day]", "YouTube Likes", 1.10, 20, 50_000, Some(25_000), true, "ytprovider.io", "https://youtu.be/"),
    s("Instagram Followers [5K] [With PP & Posts] [1H - 500/Hour]", "Instagram Followers", 1.25, 50, 5_000, Some(12_000), false, "fastfollow.co", "https://instagram.com/"),
    s("Instagram Random Comments - Min 100 | Max 10K - ULTRAFAST - 1H", "Instagram Comments", 6.00, 100, 10_000, None, false, "smmking.net", "https://instagram.com/p/"),
    s("Facebook Page Likes [ S 8 ] [20K] [R30]", "Facebook Likes", 2.40, 100, 20_000, None, true, "fbgrowth.net", "https://facebook.com/"),
    s("Real Facebook Page Likes - [ Non drop ] [ 5k-10k/day ] [ Max - 100k ] INSTANT", "Facebook Likes", 3.10, 100, 100_000, Some(5_000), false, "fbgrowth.net", "https://facebook.com/"),
    s("Instagram Views [Max: 10M] [Start Time: 0-1 Hour] [Speed: 200K/D]", "Instagram Views", 0.02, 100, 10_000_000, Some(200_000), false, "smmking.net", "https://instagram.com/reel/"),
    s("Telegram Members [MIX] [Refill: 3 Days] [Max: 150K] [Start Time: 0-1 Hour] [Speed: 100K/Day]", "Telegram Members", 0.80, 100, 150_000, Some(100_000), true, "tgboost.org", "https://t.me/"),
    s("♦️YouTube Subscribers [ Speed: 250-500/Day ] [ Refill: 30 Days ]", "YouTube Subscribers", 12.50, 50, 20_000, Some(250), true, "ytprovider.io", "https://youtube.com/@"),
    s("Spotify Plays [Speed: 5K+/D] [Start: 0-1H] NR", "Spotify Plays", 0.60, 1000, 1_000_000, Some(5_000), false, "musicpush.fm", "https://open.spotify.com/track/"),
    s("TikTok Views [Max: 100M] [Start: 0-1H] [Speed: 1M/D]", "TikTok Views", 0.01, 100, 100_000_000, Some(1_000_000), false, "tiktokserver.com", "https://vt.tiktok.com/"),
    s("TikTok Followers [6H - 5K/D - R30]", "TikTok Followers", 2.80, 50, 50_000, Some(5_000), true, "tiktokserver.com", "https://tiktok.com/@"),
    s("Instagram Likes [ Max: 50K ] [ 2k-5k/day ] AR ♻️", "Instagram Likes", 0.25, 20, 50_000, Some(2_000), true, "fastfollow.co", "https://instagram.com/p/"),
    s("Twitter Retweets [Speed: 1K/Day] [Refill: No]", "Twitter Retweets", 1.90, 20, 5_000, Some(1_000), false, "xpanel.org", "https://x.com/i/status/"),
    s("Threads Followers [ 500/Day ] [ R∞ ]", "Threads Followers", 4.40, 50, 10_000, Some(500), true, "fastfollow.co", "https://threads.net/@"),
    s("Twitch Live Viewers - 30 Minutes", "Twitch Viewers", 3.70, 10, 2_000, None, false, "streamlift.tv", "https://twitch.tv/"),
    s("Website Traffic [Worldwide] [100k/days]", "Traffic", 0.09, 1000, 1_000_000, Some(100_000), false, "trafficbox.net", "https://example.org/"),
];
