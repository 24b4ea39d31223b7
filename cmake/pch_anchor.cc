// Translation unit that exists only to produce the precompiled torch header.
