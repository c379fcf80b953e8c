<?php

require __DIR__ . '/../vendor/autoload.php';

echo \Fixture\Greeting::text(), "\n";
