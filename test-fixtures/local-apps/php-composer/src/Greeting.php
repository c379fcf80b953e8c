<?php

namespace Fixture;

final class Greeting
{
    public static function text(): string
    {
        return "hello from php-composer";
    }
}
